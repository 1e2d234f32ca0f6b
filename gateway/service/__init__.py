"""Services: one module per domain owns its state changes and rules, with the transactions and
the audit. The API, the console and importers call these functions; views only translate HTTP."""
