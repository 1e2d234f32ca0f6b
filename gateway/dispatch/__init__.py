"""Who gets an action's alert, and the delivery rows that carry it."""
