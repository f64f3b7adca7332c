"""Migrations: the migrated schema is exactly ledger.schema, and an unknown revision is refused.

Runs on SQLite and PostgreSQL. If a change to ledger/schema.py ships without a migration (or a
migration drifts from the model), `compare_metadata` reports the difference and this fails.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import deals.schema  # noqa: F401 - the deal tables share the ledger's MetaData and migration history
import settlement.schema  # noqa: F401 - and the exercise tables
import valuation.schema  # noqa: F401 - so do the valuation tables
from ledger import db
from ledger.errors import SchemaMismatch
from ledger.schema import metadata
from server import database
from server.app import open_ledger

UNKNOWN_REVISION = "ffffffffffff"


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engines = db.create_engines(database_url)
    yield engines.writer
    engines.dispose()


def test_migrated_schema_matches_the_model(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": False})
        differences = compare_metadata(context, metadata)
    assert differences == [], f"migrations and the tables disagree: {differences}"


def test_fresh_database_is_at_head(engine: sa.Engine) -> None:
    assert database.current_revision(engine) == database.head_revision()
    database.check_revision(engine)  # at head: no complaint


def test_upgrade_is_idempotent(engine: sa.Engine) -> None:
    database.upgrade(engine)
    assert database.current_revision(engine) == database.head_revision()


def _stamp(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_unknown_revision_is_refused(engine: sa.Engine, database_url: str) -> None:
    _stamp(engine, UNKNOWN_REVISION)
    with pytest.raises(SchemaMismatch, match=UNKNOWN_REVISION) as raised:
        database.check_revision(engine)
    assert raised.value.reason == "SCHEMA_REVISION_UNKNOWN"
    with pytest.raises(SchemaMismatch):
        database.check_revision(engine, allow_behind=True)
    # The server refuses to open it, whether asked to migrate or only to check.
    with pytest.raises(SchemaMismatch, match=UNKNOWN_REVISION):
        open_ledger(database_url, migrate=False)
    with pytest.raises(SchemaMismatch, match=UNKNOWN_REVISION):
        open_ledger(database_url, migrate=True)
    # ... and refusing changed nothing.
    assert database.current_revision(engine) == UNKNOWN_REVISION


def test_unmigrated_database_needs_upgrade_when_not_migrating(engine: sa.Engine, database_url: str) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM alembic_version"))
    assert database.current_revision(engine) is None
    with pytest.raises(SchemaMismatch, match="toudai db upgrade"):
        open_ledger(database_url, migrate=False)
