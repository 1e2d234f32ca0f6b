"""What is said and texted. Pure functions: (what happened, state) -> TwiML or text. No I/O."""
