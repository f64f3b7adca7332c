"""The revaluation's journal entries: one transaction per holder and batch, a posting pair per deal."""

from __future__ import annotations

import datetime as dt

from ledger.model import Side
from marks.journal import DEALS_PER_TRANSACTION, Change, entries

AS_OF = dt.date(2026, 3, 31)


def test_changes_are_grouped_per_holder_in_batches_with_a_balanced_pair_per_deal() -> None:
    changes = [Change(f"d{i:04d}", "arm", (i + 1) * (1 if i % 3 else -1)) for i in range(300)]
    changes += [Change("x1", "fund", 500), Change("x2", "fund", -20)]
    planned = entries(changes, revaluation="r1", as_of=AS_OF, code_version="v")
    assert DEALS_PER_TRANSACTION == 128
    assert [len(deals) for _, deals in planned] == [128, 128, 44, 2]
    assert [spec.request_id for spec, _ in planned] == [
        "revaluations/r1/arm/1",
        "revaluations/r1/arm/2",
        "revaluations/r1/arm/3",
        "revaluations/r1/fund/1",
    ]
    by_deal = {c.deal_id: c for c in changes}
    for spec, deals in planned:
        assert spec.value_date == AS_OF and len(spec.postings) == 2 * len(deals)
        assert spec.metadata["toudai.revaluation"] == "r1" and spec.metadata["toudai.deals"] == str(len(deals))
        assert (spec.metadata["toudai.first_deal"], spec.metadata["toudai.last_deal"]) == (deals[0], deals[-1])
        for k, deal in enumerate(deals):
            mark, gains = spec.postings[2 * k], spec.postings[2 * k + 1]
            holder = by_deal[deal].holder
            assert mark.account == f"parties/{holder}/accounts/options-fair-value.{deal}"
            assert gains.account == f"parties/{holder}/accounts/fair-value-gains"
            assert mark.value == gains.value == f"{abs(by_deal[deal].amount) / 100:.2f}"
            rise = by_deal[deal].amount > 0
            assert (mark.side, gains.side) == ((Side.DEBIT, Side.CREDIT) if rise else (Side.CREDIT, Side.DEBIT))


def test_no_changes_no_entries() -> None:
    assert entries([], revaluation="r1", as_of=AS_OF, code_version="v") == []
