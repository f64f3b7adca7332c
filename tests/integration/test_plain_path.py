"""The plain path of PostTransactions (server/convert.py `plain_batch`, ledger.validation `validate_plain`,
`Ledger.post_plain`) is indistinguishable from the general path, on SQLite and on PostgreSQL.

Two real gRPC servers, each on its own fresh database: one as shipped, one whose ledger never takes the
plain path (`post_plain` answers None, so every batch is converted to specs and validated by
`validate_batch`). Hypothesis draws batches mixing plain transactions with everything that is not
plain or not valid (a bad amount, an unknown account or side, two books, a missing or impossible
value date, reserved or bad metadata, an unbalanced pair, a repeated or replayed request id, a reused
request id with another payload, an empty batch, an unknown view) and sends each batch to both. Both
ledgers run on the same fixed clock, and transaction ids come from the same seeded generator for both,
so the two answers must be the same bytes (or the same status, message and google.rpc details), and
after every batch the two databases must hold the same rows in every table (ids, hashes, chain heads,
balances and per-day totals included).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import db
from ledger.model import AccountType, CommodityKind, PartyKind
from ledger.store import Ledger
from server import database
from server.app import create_server
from tests.conftest import _admin_execute
from tests.integration.dbstate import snapshot
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")

NOW = dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC)  # 2026-12-05 10:00 in Asia/Shanghai: today is 2026-12-05
PARTIES = ("bank-a", "bank-b")
CODES = ("cash", "loans", "deposits")


class GeneralOnly(Ledger):
    """The ledger with the plain path switched off: every batch takes the general path."""

    def post_plain(self, batch: Any) -> None:
        return None


def _seed(ledger: Ledger) -> None:
    for party in PARTIES:
        ledger.create_party(request_id=f"p-{party}", party_id=party, display_name=party, kind=PartyKind.BANK_BRANCH)
        for code in CODES:
            ledger.create_account(
                request_id=f"a-{party}-{code}",
                party=f"parties/{party}",
                code=code,
                display_name=code,
                type=AccountType.ASSET,
                commodity="CNY",
                must_not_go_negative=code == "cash",  # so that refusals for insufficient funds come up too
            )
    ledger.create_account(
        request_id="a-shares",
        party="parties/bank-a",
        code="shares",
        display_name="shares",
        type=AccountType.ASSET,
        commodity="SHR.ACME",
        must_not_go_negative=False,
    )


def _fresh(url: str, engines: list[db.Engines], servers: list[grpc.Server], cls: type[Ledger]) -> str:
    """Migrate and seed `url` (ids from a generator seeded alike for both databases); serve it."""
    made = db.create_engines(url)
    database.upgrade(made.writer)
    engines.append(made)
    ledger = cls(made, clock=lambda: NOW, group_commit=False)
    with _seeded_ids(0):
        ledger.create_commodity(request_id="c-shr", code="SHR.ACME", kind=CommodityKind.SHARE, scale=0)
        _seed(ledger)
    server, port = create_server(ledger, "127.0.0.1:0")
    server.start()
    servers.append(server)
    return f"127.0.0.1:{port}"


@contextmanager
def _seeded_ids(seed: int) -> Iterator[None]:
    """uuid.uuid4 draws from a generator seeded `seed` (so both databases get the same ids)."""
    rng = random.Random(seed)
    real = uuid.uuid4
    uuid.uuid4 = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)  # type: ignore[assignment]
    try:
        yield
    finally:
        uuid.uuid4 = real  # type: ignore[assignment]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def twins(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Any, sa.Engine, sa.Engine]]:
    """(plain stub, general stub, plain engine, general engine): two servers on two fresh databases."""
    urls: list[str] = []
    dropped: list[tuple[str, str]] = []
    if request.param == "sqlite":
        urls = [f"sqlite:///{tmp_path}/plain.db", f"sqlite:///{tmp_path}/general.db"]
    else:
        admin = request.getfixturevalue("postgres_admin_url")
        for purpose in ("plain", "general"):
            name = f"toudai_t_{purpose}_{uuid.uuid4().hex[:10]}"
            _admin_execute(admin, f'CREATE DATABASE "{name}"')
            dropped.append((admin, name))
            urls.append(sa.make_url(admin).set(database=name).render_as_string(hide_password=False))
    engines: list[db.Engines] = []
    servers: list[grpc.Server] = []
    channels: list[grpc.Channel] = []
    try:
        targets = [_fresh(urls[0], engines, servers, Ledger), _fresh(urls[1], engines, servers, GeneralOnly)]
        channels = [grpc.insecure_channel(t) for t in targets]
        stubs = [ledger_pb2_grpc.LedgerServiceStub(c) for c in channels]
        yield stubs[0], stubs[1], engines[0].writer, engines[1].writer
    finally:
        for channel in channels:
            channel.close()
        for server in servers:
            server.stop(0).wait()
        for made in engines:
            made.dispose()
        for admin, name in dropped:
            _admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ------------------------------------------------------------------------------------------ strategies

ACCOUNT = st.sampled_from([f"parties/{p}/accounts/{c}" for p in PARTIES for c in CODES])
# Plain amounts most of the time; sometimes what only the general path accepts or refuses.
PLAIN_VALUE = st.integers(1, 10**9).map(lambda m: f"{m // 100}.{m % 100:02d}")
ODD_VALUE = st.sampled_from(["1.0", "01.50", "1", "1.001", "-5.00", "0", "0.00", "abc", "", "1e3", " 1.00", "１.00"])
REQUEST_IDS = st.sampled_from([f"r-{i}" for i in range(40)])


@st.composite
def transaction(draw: st.DrawFn) -> pb.TransactionInput:
    debit, credit = draw(st.lists(ACCOUNT, min_size=2, max_size=2, unique=True))
    value = draw(st.one_of(PLAIN_VALUE, PLAIN_VALUE, PLAIN_VALUE, ODD_VALUE))
    other = value if draw(st.integers(0, 9)) else draw(st.one_of(PLAIN_VALUE, ODD_VALUE))  # mostly balanced
    postings = [
        pb.Posting(account=debit, side=pb.SIDE_DEBIT, amount=pb.Amount(commodity="CNY", value=value)),
        pb.Posting(account=credit, side=pb.SIDE_CREDIT, amount=pb.Amount(commodity="CNY", value=other)),
    ]
    oddity = draw(st.integers(0, 14))
    if oddity == 0:
        postings[0].account = "parties/bank-a/accounts/nowhere"
    elif oddity == 1:
        postings[1].side = 7  # type: ignore[assignment]  # not a known side
    elif oddity == 2:
        postings[0].amount.commodity = "USD"
    elif oddity == 3:
        postings[0].account = "parties/bank-a/accounts/shares"
        postings[0].amount.commodity = "SHR.ACME"
    elif oddity == 4:
        postings[1].side = pb.SIDE_UNSPECIFIED
    message = pb.TransactionInput(
        request_id=draw(REQUEST_IDS) if oddity != 5 else "bad id with spaces",
        description=draw(st.sampled_from(["transfer", "", "line\x01break", "x" * 1_025, "转账"])),
        postings=postings,
    )
    date = draw(st.sampled_from([(2026, 12, 5), (2026, 11, 30), (2027, 2, 29), (0, 0, 0), (1980, 1, 1), None]))
    if date is not None:
        message.value_date.year, message.value_date.month, message.value_date.day = date
    metadata = draw(
        st.sampled_from([{}, {}, {"ref": "abc"}, {"toudai.actor": "me"}, {"bad key": "v"}, {"k": "tab\there"}])
    )
    message.metadata.update(metadata)
    return message


BATCH = st.lists(transaction(), min_size=0, max_size=6)
VIEW = st.sampled_from([0, 0, pb.TRANSACTION_VIEW_BASIC, pb.TRANSACTION_VIEW_FULL, 9])


def _answer(stub: Any, request: pb.PostTransactionsRequest, seed: int) -> tuple[Any, ...]:
    """The call's answer as comparable values, with transaction ids drawn from a generator seeded `seed`."""
    with _seeded_ids(seed):
        try:
            response = stub.PostTransactions(request, timeout=30)
            return ("ok", response.SerializeToString(deterministic=True))
        except grpc.RpcError as error:
            return ("error", error.code(), error.details(), tuple(error.trailing_metadata() or ()))


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@PROPERTY
@given(batches=st.lists(st.tuples(BATCH, VIEW), min_size=1, max_size=4), seed=st.integers(0, 2**32))
def test_the_plain_path_answers_and_stores_what_the_general_path_does(
    twins: tuple[Any, Any, sa.Engine, sa.Engine], batches: list[tuple[list[pb.TransactionInput], int]], seed: int
) -> None:
    plain, general, plain_engine, general_engine = twins
    for k, (transactions, view) in enumerate(batches):
        request = pb.PostTransactionsRequest(transactions=transactions, view=view)  # type: ignore[arg-type]
        assert _answer(plain, request, seed + k) == _answer(general, request, seed + k)
    assert snapshot(plain_engine) == snapshot(general_engine)


def test_a_plain_batch_takes_the_plain_path(twins: tuple[Any, Any, sa.Engine, sa.Engine]) -> None:
    """The property above compares something: a plain batch is posted by `post_plain`, not the fallback."""
    plain, *_ = twins
    amount = pb.Amount(commodity="CNY", value="1.00")
    posting = pb.Posting(account="parties/bank-a/accounts/cash", side=pb.SIDE_DEBIT, amount=amount)
    credit = pb.Posting(account="parties/bank-a/accounts/loans", side=pb.SIDE_CREDIT, amount=amount)
    request = pb.PostTransactionsRequest(
        transactions=[pb.TransactionInput(request_id="p-1", postings=[posting, credit])]
    )
    calls: list[Any] = []
    original = Ledger.post_plain

    def spy(self: Ledger, batch: Any) -> Any:
        result = original(self, batch)
        calls.append(result)
        return result

    Ledger.post_plain = spy  # type: ignore[method-assign]
    try:
        response = plain.PostTransactions(request, timeout=30)
    finally:
        Ledger.post_plain = original  # type: ignore[method-assign]
    assert len(calls) == 1 and calls[0] is not None
    assert response.transactions[0].request_id == "p-1"
    day = response.transactions[0].value_date
    assert (day.year, day.month, day.day) == (2026, 12, 5)  # no date sent: today in Asia/Shanghai at NOW
