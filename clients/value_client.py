"""Valuation calls over gRPC for the CLI and Python callers: funding rounds, cap tables, deal valuations.

Thin wrappers on `ToudaiClient.call` (deadline, retries, typed errors) that take plain Python values
(dates, decimal strings, the cap-table document of docs/valuation.md) and return plain JSON-ready data:
money as decimal strings in CNY ("6315.43"), dates ISO, values per share as decimal strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from google.type import date_pb2, money_pb2

from clients.client import ToudaiClient, new_request_id
from toudai.v1 import valuation_pb2 as pb
from toudai.v1 import valuation_pb2_grpc as pb_grpc

__all__ = ["ValuationClient", "cap_table_message"]


def _date(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def _date_text(value: date_pb2.Date) -> str:
    return dt.date(value.year, value.month, value.day).isoformat() if value.year else ""


def _money(value: money_pb2.Money) -> str:
    return str((Decimal(value.units) + Decimal(value.nanos) / Decimal(10**9)).quantize(Decimal("0.01")))


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def cap_table_message(document: Mapping[str, Any]) -> pb.CapTable:
    """A CapTable message from the cap-table document (JSON/YAML file contents); the server validates it."""
    classes = []
    for item in document.get("classes", []) or []:
        message = pb.ShareClass(name=_text(item.get("name", "")), shares=int(item.get("shares", 0) or 0))
        if item.get("conversion_ratio") is not None:
            message.conversion_ratio = _text(item["conversion_ratio"])
        preference = item.get("preference")
        if preference is not None:
            message.preference.CopyFrom(
                pb.Preference(
                    price=_text(preference.get("price", "")),
                    multiple=_text(preference["multiple"]) if preference.get("multiple") is not None else "",
                    participating=bool(preference.get("participating", False)),
                    participation_cap=_text(preference["participation_cap"])
                    if preference.get("participation_cap") is not None
                    else "",
                    seniority=int(preference.get("seniority", 0) or 0),
                )
            )
        classes.append(message)
    pools = [
        pb.OptionPool(
            name=_text(p.get("name", "")), shares=int(p.get("shares", 0) or 0), strike=_text(p.get("strike", ""))
        )
        for p in document.get("option_pools", []) or []
    ]
    return pb.CapTable(classes=classes, option_pools=pools)


def _preference_data(message: pb.Preference) -> dict[str, Any]:
    data: dict[str, Any] = {"price": message.price, "participating": message.participating}
    if message.multiple:
        data["multiple"] = message.multiple
    if message.participation_cap:
        data["participation_cap"] = message.participation_cap
    if message.seniority:
        data["seniority"] = message.seniority
    return data


def cap_table_data(message: pb.CapTable) -> dict[str, Any]:
    classes = []
    for c in message.classes:
        item: dict[str, Any] = {"name": c.name, "shares": c.shares}
        if c.conversion_ratio:
            item["conversion_ratio"] = c.conversion_ratio
        if c.HasField("preference"):
            item["preference"] = _preference_data(c.preference)
        classes.append(item)
    return {
        "classes": classes,
        "option_pools": [{"name": p.name, "shares": p.shares, "strike": p.strike} for p in message.option_pools],
    }


def round_data(message: pb.FundingRound) -> dict[str, Any]:
    return {
        "name": message.name,
        "company": message.company,
        "round_date": _date_text(message.round_date),
        "share_class": message.share_class,
        "price_per_share": message.price_per_share,
        "shares_issued": message.shares_issued,
        "cap_table": cap_table_data(message.cap_table),
    }


def valuation_data(message: pb.OptionValuation) -> dict[str, Any]:
    return {
        "deal": message.deal,
        "as_of": _date_text(message.as_of),
        "funding_round": message.funding_round,
        "engine": message.engine,
        "code_version": message.code_version,
        "inputs": dict(sorted(message.inputs.items())),
        "value_per_share": message.value_per_share,
        "quantity": message.quantity,
        "fair_value": _money(message.fair_value),
        "change": _money(message.change),
        "transaction": message.transaction,
        **({"valuation_record": message.valuation_record} if message.valuation_record else {}),
    }


def record_data(message: pb.ValuationRecord) -> dict[str, Any]:
    """A valuation record as JSON-ready data (fields as in valuation.proto's ValuationRecord)."""
    return {
        "name": message.name,
        "revaluation": message.revaluation,
        "deal": message.deal,
        "holder": message.holder,
        "as_of": _date_text(message.as_of),
        "funding_round": message.funding_round,
        "engine": message.engine,
        "code_version": message.code_version,
        "inputs": dict(sorted(message.inputs.items())),
        "engine_parameters": dict(sorted(message.engine_parameters.items())),
        "breakpoints": list(message.breakpoints),
        "tranche_values": list(message.tranche_values),
        "participation": list(message.participation),
        "round_class_participation": list(message.round_class_participation),
        "shares_outstanding": message.shares_outstanding,
        "new_shares": message.new_shares,
        "dilution_ratio": message.dilution_ratio,
        "dilution": message.dilution,
        "value_per_share": message.value_per_share,
        "quantity": message.quantity,
        "fair_value": _money(message.fair_value),
        "rounding": message.rounding,
        "change": _money(message.change),
        "transaction": message.transaction,
        "create_time": message.create_time.ToDatetime(tzinfo=dt.UTC).isoformat()
        if message.HasField("create_time")
        else "",
    }


def _assumptions(volatility: str | None, rate: str | None, exit_years: str | None) -> pb.ValuationAssumptions:
    return pb.ValuationAssumptions(volatility=volatility or "", rate=rate or "", exit_years=exit_years or "")


class ValuationClient:
    """ValuationService on a `ToudaiClient`'s channel."""

    def __init__(self, client: ToudaiClient) -> None:
        self._client = client
        self._stub = client.stub(pb_grpc.ValuationServiceStub)

    def record_round(
        self,
        company: str,
        *,
        round_date: dt.date,
        share_class: str,
        price_per_share: str,
        shares_issued: int,
        cap_table: Mapping[str, Any],
        request_id: str | None = None,
    ) -> dict[str, Any]:
        request = pb.RecordFundingRoundRequest(
            request_id=request_id or new_request_id(),
            company=company,
            round_date=_date(round_date),
            share_class=share_class,
            price_per_share=price_per_share,
            shares_issued=shares_issued,
            cap_table=cap_table_message(cap_table),
        )
        return round_data(self._client.call(self._stub, "RecordFundingRound", request).funding_round)

    def cap_table(self, company: str, as_of: dt.date | None = None) -> dict[str, Any]:
        request = pb.GetCapTableRequest(company=company)
        if as_of is not None:
            request.as_of.CopyFrom(_date(as_of))
        return round_data(self._client.call(self._stub, "GetCapTable", request).funding_round)

    def list_rounds(self, company: str) -> Iterator[dict[str, Any]]:
        request = pb.ListFundingRoundsRequest(company=company)
        for message in self._client.pages(self._stub, "ListFundingRounds", request, "funding_rounds"):
            yield round_data(message)

    def value_deal(
        self,
        deal: str,
        *,
        as_of: dt.date | None = None,
        volatility: str | None = None,
        rate: str | None = None,
        exit_years: str | None = None,
    ) -> dict[str, Any]:
        name = deal if deal.startswith("deals/") else f"deals/{deal}"
        request = pb.ValueDealOptionRequest(name=name, assumptions=_assumptions(volatility, rate, exit_years))
        if as_of is not None:
            request.as_of.CopyFrom(_date(as_of))
        return valuation_data(self._client.call(self._stub, "ValueDealOption", request).valuation)

    def revalue(
        self,
        as_of: dt.date,
        *,
        volatility: str | None = None,
        rate: str | None = None,
        exit_years: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        request = pb.RevalueOptionsRequest(
            request_id=request_id or new_request_id(),
            as_of=_date(as_of),
            assumptions=_assumptions(volatility, rate, exit_years),
        )
        response = self._client.call(self._stub, "RevalueOptions", request)
        return {
            "name": response.name,
            "as_of": _date_text(response.as_of),
            "valuations": [valuation_data(v) for v in response.valuations],
            "skipped": [{"deal": s.deal, "reason": s.reason} for s in response.skipped],
            "total_fair_value": _money(response.total_fair_value),
            "total_change": _money(response.total_change),
            "transactions_posted": response.transactions_posted,
        }

    def record(self, name: str) -> dict[str, Any]:
        """The valuation record `revaluations/{uuid}/valuationRecords/{deal}`."""
        request = pb.GetValuationRecordRequest(name=name)
        return record_data(self._client.call(self._stub, "GetValuationRecord", request).valuation_record)

    def records(
        self,
        *,
        deal: str = "",
        from_date: dt.date | None = None,
        to_date: dt.date | None = None,
        revaluation: str = "",
    ) -> Iterator[dict[str, Any]]:
        """Valuation records by deal (id or `deals/{deal}`), valuation date (inclusive) and revaluation,
        oldest first, every page."""
        name = deal if not deal or deal.startswith("deals/") else f"deals/{deal}"
        request = pb.ListValuationRecordsRequest(deal=name, revaluation=revaluation)
        if from_date is not None:
            request.from_date.CopyFrom(_date(from_date))
        if to_date is not None:
            request.to_date.CopyFrom(_date(to_date))
        for message in self._client.pages(self._stub, "ListValuationRecords", request, "valuation_records"):
            yield record_data(message)
