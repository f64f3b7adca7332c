"""Audit: exports an auditor can verify offline, trial balances, chain verification and reports.

The pieces, from the inside out:

- `audit.model`: the immutable rows an export is made of (a leg with its postings) and faults.
- `audit.leg_text`: the canonical leg document written straight from its fields (the same bytes as
  json.dumps, several times faster), for the exporter and the verifier.
- `audit.export_source`: an export's legs as tuples of text, read in ranges of sequence numbers (on
  PostgreSQL through the driver, one range read ahead).
- `audit.encode`: pure encoders from batches of legs to CSV, JSON Lines and Beancount bytes.
- `audit.manifest`: the running totals of an export and the manifest that ends it.
- `audit.reader`: streaming reads of the ledger's tables in chunks (flat memory), trial balances,
  balance histories and the server-side chain check.
- `audit.export`: an export end to end (source → encoder → manifest), as a stream of byte chunks.
- `audit.verify`: the offline verifier of an exported file and its manifest (no server, no database).
- `audit.report`: a self-contained HTML report with inline SVG charts.

docs/audit.md specifies the formats precisely enough to write a verifier in another language.
"""
