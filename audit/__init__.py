"""Audit: exports an auditor can verify offline, trial balances, chain verification and reports.

The pieces, from the inside out:

- reading the journal is the ledger's job, through its public read modules: `ledger.journal_reader`
  (streaming reads of the books in chunks, flat memory: legs, heads, trial-balance lines, balance
  histories) and `ledger.journal_export` (an export's legs as tuples of text, read in ranges of
  sequence numbers; on PostgreSQL through the driver, one range read ahead);
- `audit.model`: the faults found in a book or an export (and, re-exported, the row types it reads);
- `audit.leg_text`: the canonical leg document written straight from its fields (the same bytes as
  json.dumps, without building a dict per leg), for the exporter and the verifier;
- `audit.chain`: the one chain verifier, over the database's rows (`verify_book`, VerifyChain) or an
  exported file;
- `audit.encode`: pure encoders from batches of legs to CSV, JSON Lines and Beancount bytes.
- `audit.manifest`: the running totals of an export and the manifest that ends it.
- `audit.export`: an export end to end (source → encoder → manifest), as a stream of byte chunks.
- `audit.verify`: the offline verifier of an exported file and its manifest (no server, no database).
- `audit.report`: a self-contained HTML report with inline SVG charts.

docs/audit.md specifies the formats precisely enough to write a verifier in another language.
"""
