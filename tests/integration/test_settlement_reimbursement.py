"""What the pool is reimbursed from option gains, by its risk-sharing agreement's basis (issue 15).

The worked example (docs/settlement.md): the pool paid 200,000.00 on the first, defaulted loan; the main
deal's 100,000 units exercised at 25.00 against a 10.00 strike gain 1,500,000.00, split 30/50/20.
- `borrower`, same borrower: 200,000.00 back first, then 1,300,000.00 split: 390,000 / 650,000 / 260,000.
- `borrower`, the first loan to another borrower: nothing back; 1,500,000.00 split: 450,000 / 750,000 / 300,000.
- `portfolio`, another borrower but the same agreement: 200,000.00 back, then 390,000 / 650,000 / 260,000.
- `none`: nothing back whatever the borrower: 450,000 / 750,000 / 300,000.
"""

from __future__ import annotations

import grpc
import pytest

from ledger.store import Ledger
from tests.integration.deals_world import USCC_B
from tests.integration.settlement_world import USCC, D, World, split_of
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2_grpc
from toudai.v1 import settlement_pb2 as spb

WORKED = D("1500000.00", "200000.00", "0.00", "390000.00", "650000.00", "260000.00")
NOTHING_BACK = D("1500000.00", "0.00", "0.00", "450000.00", "750000.00", "300000.00")


@pytest.mark.parametrize(
    ("basis", "first_uscc", "expected"),
    [
        (dpb.POOL_REIMBURSEMENT_BORROWER, USCC, WORKED),
        (dpb.POOL_REIMBURSEMENT_BORROWER, USCC_B, NOTHING_BACK),
        (dpb.POOL_REIMBURSEMENT_PORTFOLIO, USCC_B, WORKED),
        (dpb.POOL_REIMBURSEMENT_NONE, USCC, NOTHING_BACK),
    ],
    ids=["borrower-same", "borrower-other", "portfolio-other", "none"],
)
def test_the_agreement_says_what_the_pool_gets_back_first(
    channel: grpc.Channel,
    stub: ledger_pb2_grpc.LedgerServiceStub,
    ledger: Ledger,
    basis: int,
    first_uscc: str,
    expected: tuple[object, ...],
) -> None:
    world = World(channel, stub, ledger, reimbursement=basis, first_uscc=first_uscc).build()
    x = world.settlement.RequestExercise(world.request_message(100_000, request_id="ex")).exercise
    preview = world.settlement.PreviewExercise(spb.PreviewExerciseRequest(name=x.name))
    assert split_of(preview.split) == expected
