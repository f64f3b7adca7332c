"""A small multi-party portfolio for the audit tests, and the trial-balance checks on it.

Two branches lend (loans.*), a risk pool pays a compensation (cross-party, through due-to/due-from),
an investment arm holds options (a scale-0 commodity) and marks their fair value, over several value
dates, with Chinese text and quotes in descriptions and metadata, and one reversal.
"""

from __future__ import annotations

import datetime as dt

import grpc
import pytest

from toudai.v1 import audit_pb2 as apb
from toudai.v1 import audit_pb2_grpc, ledger_pb2_grpc
from toudai.v1 import ledger_pb2 as pb

PARTIES = [
    ("bank-hz", "杭州科技支行", pb.PARTY_KIND_BANK_BRANCH),
    ("bank-nb", "宁波科技支行", pb.PARTY_KIND_BANK_BRANCH),
    ("pool", "风险补偿资金池", pb.PARTY_KIND_RISK_POOL),
    ("invest", "Investment arm", pb.PARTY_KIND_INVESTMENT_ARM),
]
ACCOUNTS = [
    ("bank-hz", "cash", pb.ACCOUNT_TYPE_ASSET, "CNY"),
    ("bank-hz", "loans.hz001", pb.ACCOUNT_TYPE_ASSET, "CNY"),
    ("bank-hz", "loans.hz002", pb.ACCOUNT_TYPE_ASSET, "CNY"),
    ("bank-hz", "equity", pb.ACCOUNT_TYPE_EQUITY, "CNY"),
    ("bank-hz", "due-from-pool", pb.ACCOUNT_TYPE_ASSET, "CNY"),
    ("bank-hz", "recoveries", pb.ACCOUNT_TYPE_INCOME, "CNY"),
    ("bank-nb", "cash", pb.ACCOUNT_TYPE_ASSET, "CNY"),
    ("bank-nb", "loans.nb001", pb.ACCOUNT_TYPE_ASSET, "CNY"),
    ("bank-nb", "equity", pb.ACCOUNT_TYPE_EQUITY, "CNY"),
    ("pool", "cash", pb.ACCOUNT_TYPE_ASSET, "CNY"),
    ("pool", "fund", pb.ACCOUNT_TYPE_EQUITY, "CNY"),
    ("pool", "due-to-bank-hz", pb.ACCOUNT_TYPE_LIABILITY, "CNY"),
    ("pool", "compensation", pb.ACCOUNT_TYPE_EXPENSE, "CNY"),
    ("invest", "options.acme", pb.ACCOUNT_TYPE_ASSET, "OPT-ACME"),
    ("invest", "options-granted", pb.ACCOUNT_TYPE_EQUITY, "OPT-ACME"),
    ("invest", "options-fair-value.acme", pb.ACCOUNT_TYPE_ASSET, "CNY"),
    ("invest", "revaluation", pb.ACCOUNT_TYPE_INCOME, "CNY"),
]


def _posting(account: str, side: int, value: str, commodity: str = "CNY") -> pb.Posting:
    party, code = account.split("/")
    return pb.Posting(
        account=f"parties/{party}/accounts/{code}", side=side, amount=pb.Amount(commodity=commodity, value=value)
    )


def _tx(request_id: str, day: dt.date, description: str, *postings: pb.Posting, **meta: str) -> pb.TransactionInput:
    return pb.TransactionInput(
        request_id=request_id,
        value_date={"year": day.year, "month": day.month, "day": day.day},
        description=description,
        metadata=meta,
        postings=list(postings),
    )


def transfer(rid: str, day: dt.date, to: str, source: str, value: str, text: str = "transfer") -> pb.TransactionInput:
    return _tx(rid, day, text, _posting(to, pb.SIDE_DEBIT, value), _posting(source, pb.SIDE_CREDIT, value))


def seed(stub: ledger_pb2_grpc.LedgerServiceStub, *, extra_transfers: int = 0) -> None:
    """The demo portfolio; `extra_transfers` more small transfers in bank-hz to make the books longer."""
    for party_id, name, kind in PARTIES:
        stub.CreateParty(
            pb.CreatePartyRequest(request_id=f"p-{party_id}", party_id=party_id, display_name=name, kind=kind)
        )
    stub.CreateCommodity(
        pb.CreateCommodityRequest(
            request_id="c-opt", code="OPT-ACME", kind=pb.COMMODITY_KIND_OPTION, scale=0, display_name="ACME options"
        )
    )
    for party, code, account_type, commodity in ACCOUNTS:
        stub.CreateAccount(
            pb.CreateAccountRequest(
                request_id=f"a-{party}-{code}",
                party=f"parties/{party}",
                code=code,
                display_name=code,
                type=account_type,
                commodity=commodity,
            )
        )
    d = dt.date(2026, 1, 5)
    txs = [
        transfer("t-cap-hz", d, "bank-hz/cash", "bank-hz/equity", "10000000.00", "资本金 capital"),
        transfer("t-cap-nb", d, "bank-nb/cash", "bank-nb/equity", "5000000.00"),
        transfer("t-fund-pool", d, "pool/cash", "pool/fund", "2000000.00", "政府注资"),
        transfer(
            "t-loan-1", d + dt.timedelta(days=10), "bank-hz/loans.hz001", "bank-hz/cash", "3000000.00", "贷款发放"
        ),
        transfer("t-loan-2", d + dt.timedelta(days=20), "bank-hz/loans.hz002", "bank-hz/cash", "1500000.00"),
        transfer("t-loan-3", d + dt.timedelta(days=25), "bank-nb/loans.nb001", "bank-nb/cash", "2500000.00"),
        _tx(
            "t-grant",
            d + dt.timedelta(days=30),
            'Option grant "A" 认股权',
            _posting("invest/options.acme", pb.SIDE_DEBIT, "100000", "OPT-ACME"),
            _posting("invest/options-granted", pb.SIDE_CREDIT, "100000", "OPT-ACME"),
            deal="D-2026-001",
        ),
        transfer(
            "t-fv-1", d + dt.timedelta(days=30), "invest/options-fair-value.acme", "invest/revaluation", "120000.00"
        ),
        transfer(
            "t-fv-2", d + dt.timedelta(days=60), "invest/options-fair-value.acme", "invest/revaluation", "30000.50"
        ),
        _tx(
            "t-claim",
            d + dt.timedelta(days=70),
            '风险池补偿 "50%"',
            _posting("bank-hz/due-from-pool", pb.SIDE_DEBIT, "200000.00"),
            _posting("bank-hz/recoveries", pb.SIDE_CREDIT, "200000.00"),
            _posting("pool/compensation", pb.SIDE_DEBIT, "200000.00"),
            _posting("pool/due-to-bank-hz", pb.SIDE_CREDIT, "200000.00"),
            deal="D-2026-001",
            tier="first-loan",
        ),
        transfer("t-settle", d + dt.timedelta(days=75), "pool/due-to-bank-hz", "pool/cash", "200000.00"),
        transfer("t-settle-hz", d + dt.timedelta(days=75), "bank-hz/cash", "bank-hz/due-from-pool", "200000.00"),
    ]
    stub.PostTransactions(pb.PostTransactionsRequest(transactions=txs))
    posted = stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[transfer("t-wrong", d + dt.timedelta(days=80), "bank-nb/loans.nb001", "bank-nb/cash", "1.23")]
        )
    )
    stub.ReverseTransaction(
        pb.ReverseTransactionRequest(request_id="t-wrong-rev", name=posted.transactions[0].name, description="冲正")
    )
    for i in range(0, extra_transfers, 500):
        batch = [
            transfer(f"x-{n}", d + dt.timedelta(days=90 + n % 30), "bank-hz/loans.hz002", "bank-hz/cash", "0.01")
            for n in range(i, min(i + 500, extra_transfers))
        ]
        stub.PostTransactions(pb.PostTransactionsRequest(transactions=batch))


def audit_stub(channel: grpc.Channel) -> audit_pb2_grpc.AuditServiceStub:
    return audit_pb2_grpc.AuditServiceStub(channel)


def test_trial_balances_sum_to_zero(stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel) -> None:
    seed(stub)
    audit = audit_stub(channel)
    current = audit.TrialBalance(apb.TrialBalanceRequest())
    assert current.balanced
    assert [p.party for p in current.parties] == [
        "parties/bank-hz",
        "parties/bank-nb",
        "parties/invest",
        "parties/pool",
    ]
    for party in current.parties:
        assert party.balanced
        for total in party.totals:
            assert total.debit == total.credit
        sums: dict[str, int] = {}
        for line in party.lines:
            sums[line.commodity] = sums.get(line.commodity, 0) + line.balance_minor
        assert all(v == 0 for v in sums.values()), sums
    invest = next(p for p in current.parties if p.party == "parties/invest")
    assert {t.commodity for t in invest.totals} == {"CNY", "OPT-ACME"}
    # As of a date: before the loans and the claim.
    early = audit.TrialBalance(apb.TrialBalanceRequest(as_of_date={"year": 2026, "month": 1, "day": 10}))
    hz = next(p for p in early.parties if p.party == "parties/bank-hz")
    lines = {line.account.rsplit("/", 1)[-1]: line for line in hz.lines}
    assert lines["cash"].debit == "10000000.00"
    assert lines["loans.hz001"].debit == "0.00"
    assert early.balanced
    later = audit.TrialBalance(
        apb.TrialBalanceRequest(as_of_date={"year": 2026, "month": 3, "day": 31}, parties=["bank-hz"])
    )
    assert [p.party for p in later.parties] == ["parties/bank-hz"]
    lines = {line.account.rsplit("/", 1)[-1]: line for line in later.parties[0].lines}
    assert lines["loans.hz001"].debit == "3000000.00"
    assert lines["recoveries"].credit == "200000.00"


def test_trial_balance_unknown_party_is_not_found(channel: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        audit_stub(channel).TrialBalance(apb.TrialBalanceRequest(parties=["nobody"]))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_chain_heads_and_checkpoint(stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel) -> None:
    from ledger.canonical import checkpoint_hash

    seed(stub)
    response = audit_stub(channel).GetChainHead(apb.GetChainHeadRequest(parties=["pool"]))
    assert [h.party for h in response.heads] == ["pool"]
    assert response.heads[0].sequence == 3
    everything = [(h.party, h.sequence, h.hash) for h in response.checkpoint_heads]
    assert len(everything) == 4
    assert checkpoint_hash(everything) == response.checkpoint
