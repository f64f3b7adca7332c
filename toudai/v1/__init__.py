"""toudai.v1: code generated from proto/toudai/v1 by `make proto`."""
