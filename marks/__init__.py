"""The stateful side of valuation: funding rounds, cap tables, deal option marks and revaluations.

`valuation/` prices (pure, no I/O); this package stores what the prices are calibrated to (funding
rounds and their cap tables), values deals' option rights from them, and posts the change in fair
value to the holders' books through the ledger. docs/valuation.md ("ValuationService") explains it.
"""
