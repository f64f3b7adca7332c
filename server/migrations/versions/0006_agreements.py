"""agreements, compensation claims, attribution, request ids scoped to their party

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreement_versions",
        sa.Column("agreement_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_until", sa.Date(), nullable=True),
        sa.Column("terms_json", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=200), server_default="", nullable=False),
        sa.Column("request_scope", sa.String(length=63), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", "version", name=op.f("pk_agreement_versions")),
        sa.UniqueConstraint("request_scope", "request_id", name=op.f("uq_agreement_versions_request_scope_request_id")),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=63), nullable=False),
        sa.Column("counterparty", sa.String(length=63), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreements_counterparty_kind"), ["counterparty", "kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_agreements_owner_counterparty_kind"), ["owner", "counterparty", "kind"], unique=False
        )

    op.create_table(
        "compensation_claims",
        sa.Column("deal_id", sa.String(length=40), nullable=False),
        sa.Column("pool", sa.String(length=63), nullable=False),
        sa.Column("branch", sa.String(length=63), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("loss", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("owed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("agreement", sa.String(length=80), server_default="", nullable=False),
        sa.Column("filed_principal", sa.String(length=200), nullable=False),
        sa.Column("filed_role", sa.String(length=32), nullable=False),
        sa.Column("filed_request", sa.String(length=128), nullable=False),
        sa.Column("decided_principal", sa.String(length=200), nullable=True),
        sa.Column("decided_role", sa.String(length=32), nullable=True),
        sa.Column("decided_request", sa.String(length=128), nullable=True),
        sa.Column("decision_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("deal_id", name=op.f("pk_compensation_claims")),
    )
    with op.batch_alter_table("compensation_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_compensation_claims_branch_deal_id"), ["branch", "deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_compensation_claims_pool_deal_id"), ["pool", "deal_id"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("principal", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("role", sa.String(length=32), nullable=True))

    with op.batch_alter_table("commodities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("principal", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("role", sa.String(length=32), nullable=True))

    with op.batch_alter_table("deal_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=63), server_default="", nullable=False))
        batch_op.add_column(sa.Column("principal", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("role", sa.String(length=32), nullable=True))
    # Existing events: a step's key is its deal's branch's; a claim paid by a pool funding is the pool's.
    op.execute(
        "UPDATE deal_events SET scope = (SELECT CASE WHEN deal_events.kind = 'claim_paid' THEN deals.pool "
        "ELSE deals.branch END FROM deals WHERE deals.id = deal_events.deal_id)"
    )
    with op.batch_alter_table("deal_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_deal_events_request_id"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_deal_events_scope_request_id"), ["scope", "request_id"])

    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("principal", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("role", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("risk_agreement", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("max_compensation", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.drop_constraint(batch_op.f("uq_deals_request_id"), type_="unique")
        batch_op.create_index(batch_op.f("ix_deals_risk_agreement"), ["risk_agreement"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_deals_branch_request_id"), ["branch", "request_id"])

    with op.batch_alter_table("funding_rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("principal", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("role", sa.String(length=32), nullable=True))

    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("principal", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("role", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("resolved_principal", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("resolved_role", sa.String(length=32), nullable=True))

    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("principal", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("role", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_column("role")
        batch_op.drop_column("principal")

    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_column("resolved_role")
        batch_op.drop_column("resolved_principal")
        batch_op.drop_column("role")
        batch_op.drop_column("principal")

    with op.batch_alter_table("funding_rounds", schema=None) as batch_op:
        batch_op.drop_column("role")
        batch_op.drop_column("principal")

    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_deals_branch_request_id"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_deals_risk_agreement"))
        batch_op.create_unique_constraint(batch_op.f("uq_deals_request_id"), ["request_id"])
        batch_op.drop_column("max_compensation")
        batch_op.drop_column("risk_agreement")
        batch_op.drop_column("role")
        batch_op.drop_column("principal")

    with op.batch_alter_table("deal_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_deal_events_scope_request_id"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_deal_events_request_id"), ["request_id"])
        batch_op.drop_column("role")
        batch_op.drop_column("principal")
        batch_op.drop_column("scope")

    with op.batch_alter_table("commodities", schema=None) as batch_op:
        batch_op.drop_column("role")
        batch_op.drop_column("principal")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("role")
        batch_op.drop_column("principal")

    with op.batch_alter_table("compensation_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compensation_claims_pool_deal_id"))
        batch_op.drop_index(batch_op.f("ix_compensation_claims_branch_deal_id"))

    op.drop_table("compensation_claims")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreements_owner_counterparty_kind"))
        batch_op.drop_index(batch_op.f("ix_agreements_counterparty_kind"))

    op.drop_table("agreements")
    op.drop_table("agreement_versions")
