"""The gRPC edge of toudai: servicers translate protobuf to domain calls and back, nothing more."""
