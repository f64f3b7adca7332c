"""Alembic environment: runs on the connection toudai passes in (see server.database.upgrade)."""

from __future__ import annotations

from alembic import context

import deals.agreements.schema
import deals.assessment.schema
import deals.credit.schema
import deals.schema
import deals.sharing.schema  # noqa: F401 - registers the consent and export tables on the shared MetaData
import settlement.schema  # noqa: F401 - registers the exercise tables on the shared MetaData
import valuation.schema  # noqa: F401 - registers the valuation tables on the shared MetaData
from ledger.db import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `toudai db upgrade` (server.database.upgrade)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
