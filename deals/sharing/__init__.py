"""Credit-data sharing with the borrower's consent (征信信息共享): consents recorded at the branch, the
credit facts of consenting borrowers built into records for a credit-data platform, and the audit trail
of every export (docs/credit-data.md)."""
