"""Re-verifying a book's hash chain from a test: toudai's one chain verifier (audit.chain.verify_book,
what VerifyChain answers) over the ledger's database."""

from __future__ import annotations

from audit.chain import BookVerification
from audit.chain import verify_book as verify
from ledger.journal_reader import JournalReader
from ledger.store import Ledger


def verify_book(ledger: Ledger, party: str) -> BookVerification:
    """`party`'s whole chain, re-verified from the stored rows."""
    return verify(JournalReader(ledger.engines), party)
