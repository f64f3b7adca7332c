"""The typed Python client (ToudaiClient) and the `toudai` command-line interface."""
