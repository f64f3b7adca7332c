"""each book's Merkle tree (RFC 9162): the stored perfect-subtree roots, backfilled for existing legs

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

STORED_LEVEL = 6  # ledger.merkle.STORED_LEVEL when this migration was written: nodes of 64 legs and up
BLOCK = 1 << STORED_LEVEL


def _leaf(chain_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(chain_hash)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def upgrade() -> None:
    nodes = op.create_table(
        "merkle_nodes",
        sa.Column("party_id", sa.String(length=63), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("party_id", "level", "idx", name=op.f("pk_merkle_nodes")),
    )
    # Backfill: every stored node of every book that already has legs, computed as ledger/merkle_store.py
    # does (a block's root bottom up, then merged with the frontier).
    conn = op.get_bind()
    legs = sa.table("legs", sa.column("party_id", sa.String), sa.column("seq", sa.BigInteger), sa.column("hash"))
    books = [p for (p,) in conn.execute(sa.select(legs.c.party_id).distinct())]
    for book in books:
        rows = []
        stack: list[tuple[int, bytes]] = []
        block: list[bytes] = []
        count = 0
        query = sa.select(legs.c.hash).where(legs.c.party_id == book).order_by(legs.c.seq)
        for (digest,) in conn.execute(query).all():
            block.append(_leaf(digest))
            count += 1
            if len(block) < BLOCK:
                continue
            while len(block) > 1:
                block = [_node(block[i], block[i + 1]) for i in range(0, len(block), 2)]
            level, index, value = STORED_LEVEL, (count >> STORED_LEVEL) - 1, block[0]
            block = []
            rows.append({"party_id": book, "level": level, "idx": index, "hash": value.hex()})
            while stack and stack[-1][0] == level:
                _, left = stack.pop()
                value, level, index = _node(left, value), level + 1, index >> 1
                rows.append({"party_id": book, "level": level, "idx": index, "hash": value.hex()})
            stack.append((level, value))
            if len(rows) >= 5_000:
                op.bulk_insert(nodes, rows)
                rows = []
        if rows:
            op.bulk_insert(nodes, rows)


def downgrade() -> None:
    op.drop_table("merkle_nodes")
