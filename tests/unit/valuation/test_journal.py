"""The revaluation's journal entries: one transaction per holder and batch, a posting per deal and the
net change on `fair-value-gains`. Expected nets are worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledger.model import PostingSpec, Side
from valuation.journal import DEALS_PER_TRANSACTION, Change, entries

AS_OF = dt.date(2026, 3, 31)
GAINS = "parties/arm/accounts/fair-value-gains"


def _signed_fen(posting: PostingSpec) -> int:
    fen = int(Decimal(posting.value) * 100)
    return fen if posting.side is Side.DEBIT else -fen


def test_changes_are_grouped_per_holder_in_batches_with_a_posting_per_deal_and_the_net_gain() -> None:
    # arm: deal i changes by (i + 1) fen, a fall when i % 3 == 0; fund: +5.00 and -0.20.
    changes = [Change(f"d{i:04d}", "arm", (i + 1) * (1 if i % 3 else -1)) for i in range(300)]
    changes += [Change("x1", "fund", 500), Change("x2", "fund", -20)]
    planned = entries(changes, revaluation="r1", as_of=AS_OF, code_version="v")
    assert DEALS_PER_TRANSACTION == 255  # 256 postings at most: 255 deals and the gains posting
    assert [len(deals) for _, deals in planned] == [255, 45, 2]
    assert [spec.request_id for spec, _ in planned] == [
        "revaluations/r1/arm/1",
        "revaluations/r1/arm/2",
        "revaluations/r1/fund/1",
    ]
    by_deal = {c.deal_id: c for c in changes}
    for spec, deals in planned:
        holder = by_deal[deals[0]].holder
        assert spec.value_date == AS_OF and len(spec.postings) == len(deals) + 1
        assert spec.metadata["toudai.revaluation"] == "r1" and spec.metadata["toudai.deals"] == str(len(deals))
        assert (spec.metadata["toudai.first_deal"], spec.metadata["toudai.last_deal"]) == (deals[0], deals[-1])
        for deal, posting in zip(deals, spec.postings, strict=False):
            assert posting.account == f"parties/{holder}/accounts/options-fair-value.{deal}"
            assert posting.value == f"{abs(by_deal[deal].amount) / 100:.2f}"
            assert posting.side is (Side.DEBIT if by_deal[deal].amount > 0 else Side.CREDIT)
        assert spec.postings[-1].account == f"parties/{holder}/accounts/fair-value-gains"
        assert sum(_signed_fen(p) for p in spec.postings) == 0  # balanced
    # Batch 1, n = i + 1 = 1..255: all 32,640; falls n = 1, 4, ..., 253: 85 terms, 85 × 127 = 10,795;
    # rises 32,640 - 10,795 = 21,845; net 21,845 - 10,795 = 11,050 fen, a gain: Cr 110.50.
    # Batch 2, n = 256..300: all 45,150 - 32,640 = 12,510; falls 256, 259, ..., 298: 15 × 277 = 4,155;
    # rises 8,355; net 4,200 fen: Cr 42.00. fund: 500 - 20 = 480: Cr 4.80.
    nets = [(spec.postings[-1].side, spec.postings[-1].value) for spec, _ in planned]
    assert nets == [(Side.CREDIT, "110.50"), (Side.CREDIT, "42.00"), (Side.CREDIT, "4.80")]


def test_a_net_fall_debits_the_gains_and_changes_that_cancel_post_no_gains_line() -> None:
    fall = entries([Change("a", "arm", -700), Change("b", "arm", 200)], revaluation="r2", as_of=AS_OF, code_version="v")
    assert [(p.account.rsplit("/", 1)[1], p.side, p.value) for p in fall[0][0].postings] == [
        ("options-fair-value.a", Side.CREDIT, "7.00"),
        ("options-fair-value.b", Side.DEBIT, "2.00"),
        ("fair-value-gains", Side.DEBIT, "5.00"),  # -700 + 200 = -500 fen
    ]
    even = entries(
        [Change("a", "arm", 150), Change("b", "arm", -100), Change("c", "arm", -50)],
        revaluation="r3",
        as_of=AS_OF,
        code_version="v",
    )
    postings = even[0][0].postings
    assert [(p.side, p.value) for p in postings] == [(Side.DEBIT, "1.50"), (Side.CREDIT, "1.00"), (Side.CREDIT, "0.50")]
    assert GAINS not in {p.account for p in postings}


def test_no_changes_no_entries() -> None:
    assert entries([], revaluation="r1", as_of=AS_OF, code_version="v") == []
