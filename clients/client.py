"""`ToudaiClient`: a typed, retrying Python client for toudai's LedgerService.

The client is the only place a Python caller needs to know about gRPC, and it hides it completely:
inputs are `Decimal`/`str`/`int` amounts, dates and short names; results are frozen dataclasses
(clients.resources); failures are typed exceptions (clients.errors).

Retries are safe by construction. Every mutation carries a request_id (AIP-155); when the caller gives
none, the client draws one uuid4 *before* the first attempt and sends that same id on every retry, so a
call whose response was lost is replayed by the server rather than booked twice. Every attempt has a
deadline of `timeout` seconds, so a hung server costs at most `(retries + 1) * timeout` plus backoff.

    with ToudaiClient("127.0.0.1:50051") as client:
        client.post_transfer("bank-hz/cash", "bank-hz/loans", Decimal("100.00"))
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar, cast

import grpc
from google.protobuf import timestamp_pb2
from google.type import date_pb2

from clients.errors import NotFoundError, from_rpc_error
from clients.inputs import PostingInput, TransactionInput, credit, debit
from clients.resources import (
    Account,
    Balance,
    CaptureResult,
    Commodity,
    Hold,
    Party,
    PostResult,
    ReversalResult,
    Transaction,
    account_from,
    balance_from,
    commodity_from,
    hold_from,
    party_from,
    transaction_from,
)
from clients.retry import RetryPolicy
from clients.tls import PathLike, TlsSettings
from clients.values import (
    AccountType,
    AmountInput,
    CommodityKind,
    PartyKind,
    TransactionView,
    account_name,
    decimal_text,
    hold_name,
    party_name,
    proto_enum_name,
    transaction_name,
)
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc as pb_grpc

DEFAULT_TARGET = "127.0.0.1:50051"
#: Session consistency (server/read_routing.py): writes answer with the token, reads present it. The
#: server spells them in server.read_routing, which the SDK may not import (.importlinter, sdk-is-light);
#: tests/unit/test_consistency_headers.py keeps the two spellings equal.
TOKEN_HEADER = "x-toudai-consistency-token"  # noqa: S105 - a metadata key, not a secret
SERVED_BY_HEADER = "x-toudai-served-by"
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


S = TypeVar("S")


def new_request_id() -> str:
    """A fresh idempotency key."""
    return str(uuid.uuid4())


def _wal_position(token: str) -> int | None:
    """A token `X/Y` (hexadecimal, PostgreSQL's pg_lsn text) as a number, to keep the newest; None otherwise."""
    high, slash, low = token.partition("/")
    try:
        return (int(high, 16) << 32) | int(low, 16) if slash else None
    except ValueError:
        return None


def _date(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def _timestamp(value: dt.datetime) -> timestamp_pb2.Timestamp:
    if value.tzinfo is None:
        raise ValueError(f"expire_time {value.isoformat()} has no time zone; pass an aware datetime")
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value.astimezone(dt.UTC))
    return stamp


class ToudaiClient:
    """A connection to a toudai server; use it as a context manager or call `close()`.

    Args:
        target: `host:port` of the server.
        timeout: deadline of each attempt, in seconds.
        retries: extra attempts after a transient failure (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED,
            RESOURCE_EXHAUSTED), with exponential backoff and jitter.
        token: a bearer token sent as `authorization` metadata on every call.
        tls: speak TLS (docs/security.md). Implied by any of the `tls_*` arguments; alone, the server's
            certificate is checked against the system's trusted roots.
        tls_ca: PEM file of the CA that signed the server's certificate.
        tls_cert: PEM file of this client's certificate chain, for mutual TLS (`toudai serve --client-ca`);
            needs `tls_key`.
        tls_key: PEM file of this client's private key; needs `tls_cert`.
        tls_server_name: check the server's certificate against this name instead of the target's host.
        consistency_token: a token from an earlier write (`x-toudai-consistency-token`), e.g. one another
            process handed over: reads see at least what that write committed.

    Session consistency (docs/api.md, "Consistency tokens"): on a server with read replicas, every write
    answers with a consistency token; the client keeps the newest one it has received (`consistency_token`)
    and sends it with every later call, so its reads see its own writes even when a hot standby serves them.
    `last_served_by` says which database served the last read ("primary", "replica-1", ...; None when the
    server does not route reads).

    Raises:
        TlsConfigError (a ValueError): a TLS file is unreadable or not PEM, or a certificate comes without
            its key (or a key without its certificate).
    """

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        *,
        timeout: float = 10.0,
        retries: int = 4,
        token: str | None = None,
        tls: bool = False,
        tls_ca: PathLike | None = None,
        tls_cert: PathLike | None = None,
        tls_key: PathLike | None = None,
        tls_server_name: str | None = None,
        consistency_token: str | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
        if retries < 0:
            raise ValueError(f"retries must not be negative, not {retries}")
        self.target = target
        self._timeout = timeout
        self._retry = RetryPolicy(retries=retries)
        self._metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {token}"),) if token else ()
        self._session_lock = threading.Lock()
        self._consistency_token: str | None = None
        self.last_served_by: str | None = None
        if consistency_token:
            self.remember_token(consistency_token)
        options: list[tuple[str, Any]] = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
        self.tls: TlsSettings | None = None
        if tls or tls_ca or tls_cert or tls_key or tls_server_name:
            self.tls = TlsSettings(ca=tls_ca, cert=tls_cert, key=tls_key, server_name=tls_server_name)
            credentials = self.tls.credentials()  # reads and checks the files before any channel exists
            self._channel = grpc.secure_channel(target, credentials, options=options + self.tls.channel_options())
        else:
            self._channel = grpc.insecure_channel(target, options=options)
        self._stub: Any = pb_grpc.LedgerServiceStub(self._channel)
        self._stubs: dict[Any, Any] = {}
        # An account's commodity never changes, so it is safe to remember for the client's lifetime.
        self._commodity_of_account: dict[str, str] = {}

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The call metadata this client sends (the bearer token and the consistency token), for streaming
        calls made directly."""
        token = self._consistency_token
        return (*self._metadata, (TOKEN_HEADER, token)) if token else self._metadata

    @property
    def consistency_token(self) -> str | None:
        """The newest consistency token this client has received or been given (None: none yet)."""
        return self._consistency_token

    @consistency_token.setter
    def consistency_token(self, token: str | None) -> None:
        """Replace the token (None forgets it: later reads may be served by a standby within its lag bound)."""
        with self._session_lock:
            self._consistency_token = token or None

    def remember_token(self, token: str) -> None:
        """Keep `token` if it is newer than the one held (tokens are WAL positions `X/Y`, compared as such;
        a token of another form replaces the one held)."""
        with self._session_lock:
            new, old = _wal_position(token), _wal_position(self._consistency_token or "")
            if new is None or old is None or new > old:
                self._consistency_token = token

    def _observe(self, call: Any) -> None:
        """Note the consistency token and the serving database an answer's trailing metadata carries."""
        served_by = None
        for key, value in call.trailing_metadata() or ():
            if key == TOKEN_HEADER:
                self.remember_token(str(value))
            elif key == SERVED_BY_HEADER:
                served_by = str(value)
        self.last_served_by = served_by

    def close(self) -> None:
        """Close the channel; calls in flight are cancelled."""
        self._channel.close()

    def __enter__(self) -> ToudaiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing

    def stub(self, stub_class: Callable[[grpc.Channel], S]) -> S:
        """A stub of another toudai service on this client's channel (DealService, ...), made once."""
        found = self._stubs.get(stub_class)
        if found is None:
            found = self._stubs[stub_class] = stub_class(self._channel)
        return cast(S, found)

    def call(self, stub: Any, method: str, request: Any) -> Any:
        """Invoke `stub.method` with this client's deadline, retries and typed errors.

        The same request object is resent on a retry, so its request_id is the same on every attempt.
        """
        rpc = getattr(stub, method)
        attempt = 0
        while True:
            try:
                response, call = rpc.with_call(request, timeout=self._timeout, metadata=self.metadata)
                self._observe(call)
                return response
            except grpc.RpcError as error:
                code = error.code() if isinstance(error, grpc.Call) else None
                if not self._retry.should_retry(code, attempt):
                    raise from_rpc_error(error) from error
            time.sleep(self._retry.backoff(attempt))
            attempt += 1

    def _call(self, method: str, request: Any) -> Any:
        """Invoke a LedgerService `method` with a deadline, retrying transient failures."""
        return self.call(self._stub, method, request)

    def pages(self, stub: Any, method: str, request: Any, items_field: str) -> Iterator[Any]:
        """Every item of a paginated listing of any service, fetching pages as the caller gets there."""
        while True:
            response = self.call(stub, method, request)
            yield from getattr(response, items_field)
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token

    def _pages(self, method: str, request: Any, items_field: str) -> Iterator[Any]:
        """Every item of a paginated listing, fetching the next page only when the caller gets there."""
        while True:
            response = self._call(method, request)
            yield from getattr(response, items_field)
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token

    def _commodity_of(self, account: str) -> str:
        name = account_name(account)
        cached = self._commodity_of_account.get(name)
        if cached is None:
            try:
                cached = self.get_account(name).commodity
            except NotFoundError:
                # Let the server refuse the unknown account with the field path of the posting that names it.
                return ""
        return cached

    # ------------------------------------------------------------------ parties

    def create_party(
        self, party_id: str, *, display_name: str, kind: PartyKind | str, request_id: str | None = None
    ) -> Party:
        """Register a party (a legal entity with its own book)."""
        request = pb.CreatePartyRequest(
            request_id=request_id or new_request_id(),
            party_id=party_id.removeprefix("parties/"),
            display_name=display_name,
            kind=proto_enum_name("PARTY_KIND", PartyKind(kind)),
        )
        return party_from(self._call("CreateParty", request).party)

    def get_party(self, party: str) -> Party:
        """Read one party, by id (`bank-hz`) or name (`parties/bank-hz`)."""
        return party_from(self._call("GetParty", pb.GetPartyRequest(name=party_name(party))).party)

    def list_parties(self, *, page_size: int = 0) -> Iterator[Party]:
        """Every party in id order, fetched page by page."""
        request = pb.ListPartiesRequest(page_size=page_size)
        return (party_from(p) for p in self._pages("ListParties", request, "parties"))

    # ------------------------------------------------------------------ commodities

    def create_commodity(
        self,
        code: str,
        *,
        kind: CommodityKind | str,
        scale: int | None = None,
        display_name: str = "",
        request_id: str | None = None,
    ) -> Commodity:
        """Register a commodity; a currency's scale defaults to its ISO minor unit."""
        request = pb.CreateCommodityRequest(
            request_id=request_id or new_request_id(),
            code=code,
            kind=proto_enum_name("COMMODITY_KIND", CommodityKind(kind)),
            scale=scale or 0,
            display_name=display_name,
        )
        return commodity_from(self._call("CreateCommodity", request).commodity)

    def list_commodities(self) -> list[Commodity]:
        """All registered commodities in code order."""
        response = self._call("ListCommodities", pb.ListCommoditiesRequest())
        return [commodity_from(c) for c in response.commodities]

    # ------------------------------------------------------------------ accounts

    def create_account(
        self,
        party: str,
        code: str,
        *,
        account_type: AccountType | str,
        commodity: str,
        display_name: str = "",
        must_not_go_negative: bool = False,
        request_id: str | None = None,
    ) -> Account:
        """Open an account in a party's book."""
        request = pb.CreateAccountRequest(
            request_id=request_id or new_request_id(),
            party=party_name(party),
            code=code,
            display_name=display_name,
            type=proto_enum_name("ACCOUNT_TYPE", AccountType(account_type)),
            commodity=commodity,
            must_not_go_negative=must_not_go_negative,
        )
        account = account_from(self._call("CreateAccount", request).account)
        self._commodity_of_account[account.name] = account.commodity
        return account

    def get_account(self, account: str) -> Account:
        """Read one account, by name or `{party}/{code}` shorthand."""
        result = account_from(self._call("GetAccount", pb.GetAccountRequest(name=account_name(account))).account)
        self._commodity_of_account[result.name] = result.commodity
        return result

    def list_accounts(
        self,
        *,
        party: str | None = None,
        commodity: str | None = None,
        account_type: AccountType | str | None = None,
        page_size: int = 0,
    ) -> Iterator[Account]:
        """Every account matching the filters, fetched page by page."""
        request = pb.ListAccountsRequest(
            party=party_name(party) if party else "",
            commodity=commodity or "",
            type=proto_enum_name("ACCOUNT_TYPE", AccountType(account_type)) if account_type else None,
            page_size=page_size,
        )
        return (account_from(a) for a in self._pages("ListAccounts", request, "accounts"))

    # ------------------------------------------------------------------ transactions

    def post_transactions(
        self, transactions: Sequence[TransactionInput], *, view: TransactionView | str = TransactionView.FULL
    ) -> PostResult:
        """Post a batch of transactions, all or nothing; returns them and the touched accounts' balances.

        With `view="basic"` the returned transactions carry their name, request id, value date, create
        time and legs but no postings, description or metadata (the caller has them): cheaper for large
        batches. A retry is recognised by request id and payload whatever the view.
        """
        request = pb.PostTransactionsRequest(
            transactions=[self._transaction_message(tx) for tx in transactions],
            view=proto_enum_name("TRANSACTION_VIEW", TransactionView(view)),
        )
        response = self._call("PostTransactions", request)
        return PostResult(
            transactions=tuple(transaction_from(tx) for tx in response.transactions),
            balances=tuple(balance_from(b) for b in response.balances),
            replayed=frozenset(response.replayed),
        )

    def post_transfer(
        self,
        from_account: str,
        to_account: str,
        amount: AmountInput,
        *,
        commodity: str | None = None,
        value_date: dt.date | None = None,
        description: str = "",
        metadata: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> PostResult:
        """Move `amount` from one account to another: credit `from_account`, debit `to_account`.

        For two asset accounts (cash to loans, say) that is the intuitive direction: `from_account`
        goes down and `to_account` goes up.
        """
        transaction = TransactionInput(
            postings=(debit(to_account, amount, commodity), credit(from_account, amount, commodity)),
            request_id=request_id,
            value_date=value_date,
            description=description,
            metadata=dict(metadata or {}),
        )
        return self.post_transactions([transaction])

    def reverse_transaction(
        self,
        name: str,
        *,
        value_date: dt.date | None = None,
        description: str = "",
        request_id: str | None = None,
    ) -> ReversalResult:
        """Post the exact opposite of an earlier transaction."""
        request = pb.ReverseTransactionRequest(
            request_id=request_id or new_request_id(), name=transaction_name(name), description=description
        )
        if value_date is not None:
            request.value_date.CopyFrom(_date(value_date))
        response = self._call("ReverseTransaction", request)
        return ReversalResult(
            transaction=transaction_from(response.transaction),
            balances=tuple(balance_from(b) for b in response.balances),
        )

    def get_transaction(self, name: str) -> Transaction:
        """Read one transaction, by `transactions/{uuid}` or bare uuid."""
        request = pb.GetTransactionRequest(name=transaction_name(name))
        return transaction_from(self._call("GetTransaction", request).transaction)

    def list_transactions(
        self,
        *,
        party: str | None = None,
        account: str | None = None,
        value_date_from: dt.date | None = None,
        value_date_to: dt.date | None = None,
        metadata_key: str | None = None,
        metadata_value: str | None = None,
        page_size: int = 0,
    ) -> Iterator[Transaction]:
        """Transactions in posting order matching every filter given, fetched page by page."""
        request = pb.ListTransactionsRequest(
            party=party_name(party) if party else "",
            account=account_name(account) if account else "",
            metadata_key=metadata_key or "",
            metadata_value=metadata_value or "",
            page_size=page_size,
        )
        if value_date_from is not None:
            request.value_date_from.CopyFrom(_date(value_date_from))
        if value_date_to is not None:
            request.value_date_to.CopyFrom(_date(value_date_to))
        return (transaction_from(tx) for tx in self._pages("ListTransactions", request, "transactions"))

    # ------------------------------------------------------------------ balances

    def get_balance(self, account: str, *, as_of: dt.date | None = None) -> Balance:
        """One account's balance, current or at the end of value date `as_of`."""
        request = pb.GetBalanceRequest(account=account_name(account))
        if as_of is not None:
            request.as_of_date.CopyFrom(_date(as_of))
        return balance_from(self._call("GetBalance", request).balance)

    def get_balances(self, accounts: Iterable[str], *, as_of: dt.date | None = None) -> list[Balance]:
        """Several accounts' balances in one call, in the order asked."""
        request = pb.BatchGetBalancesRequest(accounts=[account_name(a) for a in accounts])
        if as_of is not None:
            request.as_of_date.CopyFrom(_date(as_of))
        return [balance_from(b) for b in self._call("BatchGetBalances", request).balances]

    # ------------------------------------------------------------------ holds

    def create_hold(
        self,
        debit_account: str,
        credit_account: str,
        amount: AmountInput,
        *,
        commodity: str | None = None,
        expire_time: dt.datetime | None = None,
        expires_in: dt.timedelta | None = None,
        description: str = "",
        metadata: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> Hold:
        """Reserve `amount` to move on capture: debit `debit_account`, credit `credit_account`.

        The expiry is `expire_time`, or now + `expires_in`, or the server's default (7 days).
        """
        if expire_time is not None and expires_in is not None:
            raise ValueError("give expire_time or expires_in, not both")
        debit_name = account_name(debit_account)
        request = pb.CreateHoldRequest(
            request_id=request_id or new_request_id(),
            debit_account=debit_name,
            credit_account=account_name(credit_account),
            amount=pb.Amount(commodity=commodity or self._commodity_of(debit_name), value=decimal_text(amount)),
            description=description,
            metadata=dict(metadata or {}),
        )
        if expires_in is not None:
            expire_time = dt.datetime.now(dt.UTC) + expires_in
        if expire_time is not None:
            request.expire_time.CopyFrom(_timestamp(expire_time))
        return hold_from(self._call("CreateHold", request).hold)

    def capture_hold(
        self,
        name: str,
        *,
        amount: AmountInput | None = None,
        commodity: str | None = None,
        value_date: dt.date | None = None,
        request_id: str | None = None,
    ) -> CaptureResult:
        """Post all of a hold, or `amount` of it, and release the rest."""
        request = pb.CaptureHoldRequest(request_id=request_id or new_request_id(), name=hold_name(name))
        if amount is not None:
            request.amount.CopyFrom(pb.Amount(commodity=commodity or "", value=decimal_text(amount)))
        if value_date is not None:
            request.value_date.CopyFrom(_date(value_date))
        response = self._call("CaptureHold", request)
        return CaptureResult(hold=hold_from(response.hold), transaction=transaction_from(response.transaction))

    def void_hold(self, name: str, *, request_id: str | None = None) -> Hold:
        """Release a hold without posting anything."""
        request = pb.VoidHoldRequest(request_id=request_id or new_request_id(), name=hold_name(name))
        return hold_from(self._call("VoidHold", request).hold)

    def get_hold(self, name: str) -> Hold:
        """Read one hold, by `holds/{uuid}` or bare uuid."""
        return hold_from(self._call("GetHold", pb.GetHoldRequest(name=hold_name(name))).hold)

    # ------------------------------------------------------------------ helpers

    def _transaction_message(self, transaction: TransactionInput) -> pb.TransactionInput:
        message = pb.TransactionInput(
            request_id=transaction.request_id or new_request_id(),
            description=transaction.description,
            metadata=dict(transaction.metadata),
            postings=[self._posting_message(p) for p in transaction.postings],
        )
        # No value date: the server dates it on its business date (its time zone), never the caller's clock;
        # the request as sent (without a date) is what a retry must repeat.
        if transaction.value_date is not None:
            message.value_date.CopyFrom(_date(transaction.value_date))
        return message

    def _posting_message(self, posting: PostingInput) -> pb.Posting:
        return pb.Posting(
            account=posting.account,
            side=proto_enum_name("SIDE", posting.side),
            amount=pb.Amount(
                commodity=posting.commodity or self._commodity_of(posting.account),
                value=format(posting.amount, "f"),
            ),
        )
