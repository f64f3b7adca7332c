"""LedgerService: protobuf in, domain call, protobuf out. Validation and rules live in ledger/."""

from __future__ import annotations

import grpc

from ledger.errors import ViolationCollector
from ledger.model import TransactionSpec
from ledger.store import Ledger
from server import authz
from server import convert as cv
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc as pb_grpc


def _enum_in(mapping: dict[int, object], value: int, path: str, errors: ViolationCollector) -> object | None:
    """An enum value to its domain member; an unknown non-zero number is a violation, zero means unset."""
    if value == 0:
        return None
    member = mapping.get(value)
    if member is None:
        errors.add(path, f"{value} is not a known value")
    return member


# PostTransactions' views (AIP-157); unset is FULL.
_VIEWS = frozenset({pb.TRANSACTION_VIEW_UNSPECIFIED, pb.TRANSACTION_VIEW_BASIC, pb.TRANSACTION_VIEW_FULL})


class LedgerServicer(pb_grpc.LedgerServiceServicer):  # type: ignore[misc]
    """Implements toudai.v1.LedgerService on a `Ledger`."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    # parties ---------------------------------------------------------------

    def CreateParty(self, request: pb.CreatePartyRequest, context: grpc.ServicerContext) -> pb.CreatePartyResponse:
        errors = ViolationCollector()
        kind = _enum_in(cv.PARTY_KIND_IN, request.kind, "kind", errors)  # type: ignore[arg-type]
        errors.raise_if_any()
        party = self._ledger.create_party(
            request_id=request.request_id,
            party_id=request.party_id,
            display_name=request.display_name,
            kind=kind,  # type: ignore[arg-type]
        )
        return pb.CreatePartyResponse(party=cv.party_out(party))

    def GetParty(self, request: pb.GetPartyRequest, context: grpc.ServicerContext) -> pb.GetPartyResponse:
        return pb.GetPartyResponse(party=cv.party_out(self._ledger.get_party(request.name)))

    def ListParties(self, request: pb.ListPartiesRequest, context: grpc.ServicerContext) -> pb.ListPartiesResponse:
        page = self._ledger.list_parties(page_size=request.page_size, page_token=request.page_token)
        return pb.ListPartiesResponse(
            parties=[cv.party_out(p) for p in page.items], next_page_token=page.next_page_token
        )

    # commodities -----------------------------------------------------------

    def CreateCommodity(
        self, request: pb.CreateCommodityRequest, context: grpc.ServicerContext
    ) -> pb.CreateCommodityResponse:
        errors = ViolationCollector()
        kind = _enum_in(cv.COMMODITY_KIND_IN, request.kind, "kind", errors)  # type: ignore[arg-type]
        errors.raise_if_any()
        commodity = self._ledger.create_commodity(
            request_id=request.request_id,
            code=request.code,
            kind=kind,  # type: ignore[arg-type]
            scale=request.scale,
            display_name=request.display_name,
        )
        return pb.CreateCommodityResponse(commodity=cv.commodity_out(commodity))

    def ListCommodities(
        self, request: pb.ListCommoditiesRequest, context: grpc.ServicerContext
    ) -> pb.ListCommoditiesResponse:
        return pb.ListCommoditiesResponse(commodities=[cv.commodity_out(c) for c in self._ledger.list_commodities()])

    # accounts --------------------------------------------------------------

    def CreateAccount(
        self, request: pb.CreateAccountRequest, context: grpc.ServicerContext
    ) -> pb.CreateAccountResponse:
        errors = ViolationCollector()
        account_type = _enum_in(cv.ACCOUNT_TYPE_IN, request.type, "type", errors)  # type: ignore[arg-type]
        errors.raise_if_any()
        account = self._ledger.create_account(
            request_id=request.request_id,
            party=request.party,
            code=request.code,
            display_name=request.display_name,
            type=account_type,  # type: ignore[arg-type]
            commodity=request.commodity,
            must_not_go_negative=request.must_not_go_negative,
        )
        return pb.CreateAccountResponse(account=cv.account_out(account))

    def GetAccount(self, request: pb.GetAccountRequest, context: grpc.ServicerContext) -> pb.GetAccountResponse:
        authz.own_accounts(context, [(request.name, "name")])
        return pb.GetAccountResponse(account=cv.account_out(self._ledger.get_account(request.name)))

    def ListAccounts(self, request: pb.ListAccountsRequest, context: grpc.ServicerContext) -> pb.ListAccountsResponse:
        errors = ViolationCollector()
        account_type = _enum_in(cv.ACCOUNT_TYPE_IN, request.type, "type", errors)  # type: ignore[arg-type]
        errors.raise_if_any()
        party = authz.list_party(context, request.party)
        if party is None:
            return pb.ListAccountsResponse()
        page = self._ledger.list_accounts(
            party=party,
            commodity=request.commodity,
            type=account_type,  # type: ignore[arg-type]
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListAccountsResponse(
            accounts=[cv.account_out(a) for a in page.items], next_page_token=page.next_page_token
        )

    # transactions ----------------------------------------------------------

    def PostTransactions(
        self, request: pb.PostTransactionsRequest, context: grpc.ServicerContext
    ) -> pb.PostTransactionsResponse:
        authz.own_accounts(
            context,
            (
                (p.account, f"transactions[{i}].postings[{j}].account")
                for i, t in enumerate(request.transactions)
                for j, p in enumerate(t.postings)
            ),
        )
        # Plain batches (one book and one commodity per transaction, plain decimals, clean text: what bulk
        # loaders send) go straight from the wire to validated transactions (Ledger.post_plain); anything
        # else, including every batch with a problem, takes the general path, which words the refusal.
        plain = cv.plain_batch(request.transactions) if request.view in _VIEWS else None
        result = self._ledger.post_plain(plain) if plain is not None else None
        if result is None:
            result = self._ledger.post_transactions(self._specs(request))
        basic = request.view == pb.TRANSACTION_VIEW_BASIC
        response = pb.PostTransactionsResponse(
            balances=cv.balances_out(result.balances),
            replayed=[tx.name for tx in result.transactions if result.is_replay(tx)] if result.replayed else (),
        )
        cv.transactions_into(response.transactions, result.transactions, basic=basic)
        return response

    @staticmethod
    def _specs(request: pb.PostTransactionsRequest) -> list[TransactionSpec]:
        """The batch as specs for Ledger.post_transactions; InvalidArgument for what cannot be converted."""
        specs = []
        errors = ViolationCollector()
        if request.view not in _VIEWS:
            errors.add("view", f"{request.view} is not a known view: TRANSACTION_VIEW_BASIC or TRANSACTION_VIEW_FULL")
        for i, message in enumerate(request.transactions):
            spec, problems = cv.transaction_in(message)
            for suffix, description in problems:
                errors.add(f"transactions[{i}].{suffix}", description)
            specs.append(spec)
        errors.raise_if_any()
        return specs

    def ReverseTransaction(
        self, request: pb.ReverseTransactionRequest, context: grpc.ServicerContext
    ) -> pb.ReverseTransactionResponse:
        if authz.scope(context) is not None:
            authz.own_transaction(context, self._ledger.get_transaction(request.name), only=True)
        errors = ViolationCollector()
        value_date = cv.optional_date_in(request, "value_date", "value_date", errors)
        errors.raise_if_any()
        result = self._ledger.reverse_transaction(
            request_id=request.request_id, name=request.name, value_date=value_date, description=request.description
        )
        return pb.ReverseTransactionResponse(
            transaction=cv.transaction_out(result.transactions[0]), balances=cv.balances_out(result.balances)
        )

    def GetTransaction(
        self, request: pb.GetTransactionRequest, context: grpc.ServicerContext
    ) -> pb.GetTransactionResponse:
        transaction = self._ledger.get_transaction(request.name)
        authz.own_transaction(context, transaction)
        return pb.GetTransactionResponse(transaction=cv.transaction_out(transaction))

    def ListTransactions(
        self, request: pb.ListTransactionsRequest, context: grpc.ServicerContext
    ) -> pb.ListTransactionsResponse:
        errors = ViolationCollector()
        date_from = cv.optional_date_in(request, "value_date_from", "value_date_from", errors)
        date_to = cv.optional_date_in(request, "value_date_to", "value_date_to", errors)
        errors.raise_if_any()
        party = authz.list_party(context, request.party)
        if party is None or not authz.list_account(context, request.account):
            return pb.ListTransactionsResponse()
        page = self._ledger.list_transactions(
            party=party,
            account=request.account,
            value_date_from=date_from,
            value_date_to=date_to,
            metadata_key=request.metadata_key,
            metadata_value=request.metadata_value,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        response = pb.ListTransactionsResponse(next_page_token=page.next_page_token)
        cv.transactions_into(response.transactions, page.items)
        return response

    # balances --------------------------------------------------------------

    def GetBalance(self, request: pb.GetBalanceRequest, context: grpc.ServicerContext) -> pb.GetBalanceResponse:
        authz.own_accounts(context, [(request.account, "account")])
        errors = ViolationCollector()
        as_of = cv.optional_date_in(request, "as_of_date", "as_of_date", errors)
        errors.raise_if_any()
        return pb.GetBalanceResponse(balance=cv.balance_out(self._ledger.get_balance(request.account, as_of)))

    def BatchGetBalances(
        self, request: pb.BatchGetBalancesRequest, context: grpc.ServicerContext
    ) -> pb.BatchGetBalancesResponse:
        authz.own_accounts(context, ((a, f"accounts[{i}]") for i, a in enumerate(request.accounts)))
        errors = ViolationCollector()
        as_of = cv.optional_date_in(request, "as_of_date", "as_of_date", errors)
        errors.raise_if_any()
        balances = self._ledger.batch_get_balances(list(request.accounts), as_of)
        return pb.BatchGetBalancesResponse(balances=cv.balances_out(balances))

    # holds -----------------------------------------------------------------

    def CreateHold(self, request: pb.CreateHoldRequest, context: grpc.ServicerContext) -> pb.CreateHoldResponse:
        authz.own_accounts(
            context, [(request.debit_account, "debit_account"), (request.credit_account, "credit_account")]
        )
        errors = ViolationCollector()
        expire_time = cv.optional_instant_in(request, "expire_time", "expire_time", errors)
        errors.raise_if_any()
        hold = self._ledger.create_hold(
            request_id=request.request_id,
            debit_account=request.debit_account,
            credit_account=request.credit_account,
            commodity=request.amount.commodity,
            value=request.amount.value,
            expire_time=expire_time,
            description=request.description,
            metadata=dict(request.metadata),
        )
        return pb.CreateHoldResponse(hold=cv.hold_out(hold))

    def CaptureHold(self, request: pb.CaptureHoldRequest, context: grpc.ServicerContext) -> pb.CaptureHoldResponse:
        if authz.scope(context) is not None:
            authz.own_hold(context, self._ledger.get_hold(request.name))
        errors = ViolationCollector()
        value_date = cv.optional_date_in(request, "value_date", "value_date", errors)
        if request.HasField("amount") and request.amount.commodity:
            hold = self._ledger.get_hold(request.name)
            if request.amount.commodity != hold.debit_account.commodity:
                errors.add(
                    "amount.commodity",
                    f"is {request.amount.commodity!r} but the hold is in {hold.debit_account.commodity}",
                    "COMMODITY_MISMATCH",
                )
        errors.raise_if_any()
        hold, tx = self._ledger.capture_hold(
            request_id=request.request_id,
            name=request.name,
            value=request.amount.value if request.HasField("amount") else None,
            value_date=value_date,
        )
        return pb.CaptureHoldResponse(hold=cv.hold_out(hold), transaction=cv.transaction_out(tx))

    def VoidHold(self, request: pb.VoidHoldRequest, context: grpc.ServicerContext) -> pb.VoidHoldResponse:
        if authz.scope(context) is not None:
            authz.own_hold(context, self._ledger.get_hold(request.name))
        return pb.VoidHoldResponse(
            hold=cv.hold_out(self._ledger.void_hold(request_id=request.request_id, name=request.name))
        )

    def GetHold(self, request: pb.GetHoldRequest, context: grpc.ServicerContext) -> pb.GetHoldResponse:
        hold = self._ledger.get_hold(request.name)
        authz.own_hold(context, hold)
        return pb.GetHoldResponse(hold=cv.hold_out(hold))
