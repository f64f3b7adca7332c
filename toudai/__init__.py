"""Generated protobuf and gRPC code for the toudai API (see proto/). Never edited by hand."""
