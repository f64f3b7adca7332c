"""`toudai agreement ...`: record and read the agreements between the parties (AgreementService).

`toudai agreement sign FILE` records the agreements a YAML or JSON file lists: each item has the
Agreement message's fields (docs/security.md, "Agreements"), with amounts written as CNY decimals
(`per_deal_cap: 3000000.00`) and dates as YYYY-MM-DD. Signing the same file again replays: each item's
request id is derived from its agreement id unless the item gives `request_id`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from rich.console import Console
from rich.table import Table

from clients import render
from clients.client import ToudaiClient
from clients.postfile import PostFileError, syntax_problem
from toudai.v1 import agreements_pb2 as pb
from toudai.v1 import agreements_pb2_grpc as pb_grpc

_MONEY = {"per_deal_cap", "exposure_cap", "auto_approval_limit", "advisory_fee", "up_to"}
_DATES = {"effective_from", "effective_until"}


class AgreementFileError(PostFileError):
    """The agreement file cannot be read; the message says where."""

    def __init__(self, message: str) -> None:
        source, _, problem = message.partition(": ")
        super().__init__(source, [problem or message])


def _money(value: Any, where: str) -> dict[str, Any]:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise AgreementFileError(f"{where}: {value!r} is not an amount in CNY, e.g. 3000000.00") from None
    units = int(amount)
    return {"currency_code": "CNY", "units": str(units), "nanos": int((amount - units) * 1_000_000_000)}


def _wire(value: Any, where: str, key: str = "") -> Any:
    """The file's friendly values (CNY decimals, ISO dates) as the message's JSON form."""
    if isinstance(value, dict):
        return {k: _wire(v, f"{where}.{k}", k) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v, f"{where}[{i}]", key) for i, v in enumerate(value)]
    if key in _MONEY:
        return _money(value, where)
    if key in _DATES:
        text = str(value)
        parts = text.split("-")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise AgreementFileError(f"{where}: {text!r} is not a date YYYY-MM-DD")
        return {"year": int(parts[0]), "month": int(parts[1]), "day": int(parts[2])}
    if key == "kind":
        return f"AGREEMENT_KIND_{str(value).upper()}"
    if key in ("eligible_stages", "tier"):  # tier: of a tier_rates entry (docs/assessment.md)
        return f"BORROWER_STAGE_{str(value).upper()}"
    if key == "types":
        return f"SUBSIDY_TYPE_{str(value).upper()}"
    if key == "reimbursement":
        return f"POOL_REIMBURSEMENT_{str(value).upper()}"
    if key == "option_on_write_off":
        return f"OPTION_ON_WRITE_OFF_{str(value).upper()}"
    if key in ("owner", "counterparty", "insurer") and isinstance(value, str) and not value.startswith("parties/"):
        return f"parties/{value}"
    if isinstance(value, float | int) and not isinstance(value, bool) and key.endswith("rate"):
        return str(value)
    return value


def load_agreements(path: Path) -> list[pb.CreateAgreementRequest]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AgreementFileError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        # BaseLoader builds only strings, lists and dicts (no objects): every scalar as text, amounts exact.
        data = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506
    except yaml.YAMLError as error:
        raise AgreementFileError(f"{path}: {syntax_problem(error)}") from None
    items = data.get("agreements") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise AgreementFileError(f"{path}: expected a list of agreements (or `agreements:` with one)")
    requests = []
    for i, item in enumerate(items):
        where = f"{path}: agreements[{i}]"
        if not isinstance(item, dict) or not item.get("agreement_id"):
            raise AgreementFileError(f"{where}: each agreement needs an agreement_id")
        item = dict(item)
        agreement_id = str(item.pop("agreement_id"))
        request_id = str(item.pop("request_id", f"agreement-{agreement_id}-v1"))
        message = pb.Agreement()
        try:
            json_format.ParseDict(_wire(item, where), message)
        except json_format.ParseError as error:
            raise AgreementFileError(f"{where}: {error}") from None
        requests.append(pb.CreateAgreementRequest(request_id=request_id, agreement_id=agreement_id, agreement=message))
    return requests


def _plain(agreement: pb.Agreement) -> dict[str, Any]:
    return json_format.MessageToDict(agreement, preserving_proto_field_name=True)


def _table(agreements: list[pb.Agreement]) -> Table:
    table = render.table("Agreements", "Agreement", "Version", "Kind", "Owner", "Branch", "From", "Recorded by")
    for a in agreements:
        start = a.effective_from
        table.add_row(
            a.name.removeprefix("agreements/"),
            str(a.version),
            pb.AgreementKind.Name(a.kind).removeprefix("AGREEMENT_KIND_").lower(),
            a.owner.removeprefix("parties/"),
            a.counterparty.removeprefix("parties/"),
            f"{start.year:04d}-{start.month:02d}-{start.day:02d}",
            a.recorded_by.principal,
        )
    return table


def _sign(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    stub = client.stub(pb_grpc.AgreementServiceStub)
    signed = [client.call(stub, "CreateAgreement", r).agreement for r in load_agreements(Path(args.file))]
    if args.json:
        console.print_json(json.dumps([_plain(a) for a in signed]))
    else:
        console.print(_table(signed))
    return 0


def _amend(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    """Each item of the file becomes a new version of the agreement it names (same kind and parties)."""
    stub = client.stub(pb_grpc.AgreementServiceStub)
    amended = []
    for created in load_agreements(Path(args.file)):
        request = pb.AmendAgreementRequest(
            request_id=args.request_id or f"amend-{created.agreement_id}-{created.request_id}",
            name=f"agreements/{created.agreement_id}",
            agreement=created.agreement,
        )
        amended.append(client.call(stub, "AmendAgreement", request).agreement)
    if args.json:
        console.print_json(json.dumps([_plain(a) for a in amended]))
    else:
        console.print(_table(amended))
    return 0


def _list(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    stub = client.stub(pb_grpc.AgreementServiceStub)
    request = pb.ListAgreementsRequest(
        owner=f"parties/{args.owner}" if args.owner else "",
        counterparty=f"parties/{args.branch}" if args.branch else "",
    )
    found = list(client.pages(stub, "ListAgreements", request, "agreements"))
    if args.json:
        console.print_json(json.dumps([_plain(a) for a in found]))
    else:
        console.print(_table(found))
    return 0


def _get(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    name = args.name if args.name.startswith("agreements/") else f"agreements/{args.name}"
    stub = client.stub(pb_grpc.AgreementServiceStub)
    found = client.call(stub, "GetAgreement", pb.GetAgreementRequest(name=name)).agreement
    console.print_json(json.dumps(_plain(found)))
    return 0


def register(subparsers: Any, command: Callable[..., argparse.ArgumentParser], group: Callable[..., Any]) -> None:
    """Add `agreement` and its subcommands to the `toudai` parser (see clients.cli)."""
    agreement = group(subparsers, "agreement", "agreements between the parties: risk sharing, linkage, subsidy")
    sign = command(agreement, "sign", _sign, "record the agreements a YAML or JSON file lists", description=__doc__)
    sign.add_argument("file", help="e.g. examples/agreements.yaml")
    amend = command(
        agreement,
        "amend",
        _amend,
        "record new versions of the agreements a file lists (deals booked keep theirs)",
        description="Each item names an existing agreement_id and gives its whole new terms and dates; give "
        "each amendment its own `request_id` in the file (or --request-id for a one-item file): the same "
        "request_id again replays.",
    )
    amend.add_argument("file", help="a file like the one `agreement sign` takes")
    amend.add_argument("--request-id", help="idempotency key for a file with one agreement")
    listing = command(agreement, "list", _list, "list agreements (latest versions)")
    listing.add_argument("--owner", help="party id of the consenting party")
    listing.add_argument("--branch", help="party id of the branch")
    get = command(agreement, "get", _get, "show one agreement (as JSON)")
    get.add_argument("name", help="agreement id, agreements/{id} or agreements/{id}/versions/{n}")
