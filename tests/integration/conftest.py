"""Fixtures shared by several integration test modules (a module may still define its own).

- `book`: the bad-input tests' realistic book, built once per database and test module
  (tests/integration/bad_input_book.py);
- `world`: the exercise-workflow tests' parties, deals and funding round (tests/integration/settlement_world.py);
- `deals`: a DealService stub for the linked-deal tests (tests/integration/deals_world.py);
- `keyed`: the authorization matrix's server with keys and its world (tests/integration/authz_world.py).
"""

from tests.integration.authz_world import keyed
from tests.integration.bad_input_book import book
from tests.integration.deals_world import deals
from tests.integration.settlement_world import world

__all__ = ["book", "deals", "keyed", "world"]
