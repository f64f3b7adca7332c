"""The books: an immutable, double-entry, multi-party, multi-commodity ledger.

Value types and validation are pure Python (no grpc, no SQL); `ledger.store.Ledger` keeps them on
SQLite or PostgreSQL. This package knows nothing of deals, options or the gRPC edge.
"""
