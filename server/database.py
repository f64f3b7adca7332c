"""The application's schema migrations: one Alembic history for the ledger's tables and those of deals,
settlement and valuation (server/migrations/), applied by `toudai db upgrade` and on `toudai serve`.

They live here, at the application level, because the ledger (the bottom layer) must not know the
packages above it; the tables all share the ledger's MetaData (`ledger.db.metadata`).
"""

from __future__ import annotations

import pathlib

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ledger.errors import SchemaMismatch

MIGRATIONS_DIR = pathlib.Path(__file__).resolve().parent / "migrations"
#: The PostgreSQL advisory lock that serialises migrations of one database (an arbitrary constant: "toudai" in hex).
MIGRATION_LOCK_KEY = 0x746F75646169

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "check_revision",
    "current_revision",
    "head_revision",
    "known_revisions",
    "upgrade",
]


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine) -> None:
    """Bring the schema to the latest revision this code knows (refusing unknown revisions)."""
    check_revision(engine, allow_behind=True)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # A migration may take its time, and may wait for the locks of calls in flight on other replicas.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
            # Replicas started together (or `--workers`) migrate one at a time: the next one finds the schema
            # at head once the first has committed, instead of failing on tables that appeared under it.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        command.upgrade(alembic_config(connection), "head")


def check_revision(engine: sa.Engine, *, allow_behind: bool = False) -> None:
    """Refuse a database at a revision this code does not know, or (unless allowed) one not at head."""
    current = current_revision(engine)
    if current is not None and current not in known_revisions():
        raise SchemaMismatch(
            f"the database is at schema revision {current}, which this version of toudai does not know; "
            "run a newer toudai or restore the matching database"
        )
    if not allow_behind and current != head_revision():
        raise SchemaMismatch(
            f"the database is at schema revision {current or '(empty)'}, not {head_revision()}; "
            "run `toudai db upgrade` first"
        )
