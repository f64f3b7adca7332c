"""The books: an immutable, double-entry, multi-party, multi-commodity ledger.

This package knows nothing of deals, options or the gRPC edge, and imports neither grpc nor protobuf.
Its public API (docs/architecture.md, "The ledger's public API"; `.importlinter` keeps everything else
private):

- `ledger.store.Ledger`: the books on one database, the object the server holds;
- `ledger.session.LedgerSession`: the door for deals, settlement and valuation, one unit of work
  (`Ledger.write(work)`, `Ledger.read(work)`);
- value types and pure helpers: `model`, `errors`, `amounts`, `names`, `validation`, `pagination`,
  `canonical` (the documented leg encoding and hashes), `actor`;
- `db`: engines, and the MetaData the application's tables share;
- read-only journal scans for audit: `journal_reader`, `journal_export`;
- reads past one database server: `replicas` (hot standbys and which may serve a read), `consistency`
  (write tokens: WAL positions), `read_route` (the current call's reads on a standby).

Internal parts: `catalog`, `posting` (the posting step, pure), `posting_state`, `pg_posting`, `bulk`,
`group_commit`, `journal`, `balances`, `holds`, `unit_of_work`, `schema`.
"""
