"""The served-database fixtures of the end-to-end tests: `toudai serve` on an SQLite file and on PostgreSQL.

Every CLI test runs on both databases, except the long walk-throughs (30-70 s each, dozens of CLI
processes): each of those runs on one database, `on_postgresql` or `on_sqlite`, chosen so that both carry
about half of them. The CLI and the server's edge are the same code over either database, and every RPC
these walk-throughs call is also tested on both databases by the integration tests (tests/integration);
running each walk-through twice cost CI about two minutes for no code path the other run did not take.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import Server, toudai_serve


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def served_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/t.db"  # a fresh file: `serve` migrates it on start
    return str(request.getfixturevalue("postgres_url"))


on_postgresql = pytest.mark.parametrize(
    "served_database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
"""Run this walk-through on PostgreSQL only (module docstring)."""
on_sqlite = pytest.mark.parametrize("served_database_url", ["sqlite"], indirect=True)
"""Run this walk-through on SQLite only (module docstring)."""


@pytest.fixture
def server(served_database_url: str, tmp_path: Path) -> Iterator[Server]:
    """`toudai serve` on `served_database_url`, its stderr in tmp_path/serve.log; killed if a test leaves it running."""
    with toudai_serve(served_database_url, tmp_path / "serve.log") as served:
        yield served
