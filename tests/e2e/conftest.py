"""The served-database fixtures of the end-to-end tests: `toudai serve` on an SQLite file and on PostgreSQL."""

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


@pytest.fixture
def server(served_database_url: str, tmp_path: Path) -> Iterator[Server]:
    """`toudai serve` on `served_database_url`, its stderr in tmp_path/serve.log; killed if a test leaves it running."""
    with toudai_serve(served_database_url, tmp_path / "serve.log") as served:
        yield served
