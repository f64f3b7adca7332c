"""Linked deals: a loan to a tech company paired with an equity-option right, with subsidy and risk-pool
cover. Pure terms, schedules and rules here; the ledger (ledger/) keeps the books."""
