"""Fixtures shared by several integration test modules.

`book`: the bad-input tests' realistic book, built once per database and test module
(tests/integration/bad_input_book.py).
"""

from tests.integration.bad_input_book import book

__all__ = ["book"]
