"""AuditService: protobuf in, audit/ call, protobuf out. Read-only; the logic lives in audit/.

The error interceptor wraps unary handlers only, so the two streaming methods translate errors here,
the same way: a domain error becomes its status with rich details, anything else INTERNAL (logged),
and every stream that reaches its servicer logs one access line when it ends, with the caller's principal
and role like the unary calls' (a stream refused by the auth interceptor is logged by `toudai.auth` only).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import grpc

from audit import follow as follow_
from audit.chain import verify_book
from audit.checkpoint import DEFAULT_ORIGIN, CheckpointError, ephemeral_signer, parse_body, split_note
from audit.checkpoint_notary import Notary
from audit.export import export_journal
from audit.manifest import Filters
from audit.model import LegRow
from ledger import amounts
from ledger.canonical import ENCODING_VERSION, checkpoint_hash
from ledger.errors import InvalidArgument, LedgerError, NotFound, ViolationCollector
from ledger.journal_reader import JournalReader, account_key_of, party_id_of
from ledger.model import AccountType, PartyKind
from ledger.store import Ledger
from server import authz
from server import convert as cv
from server.auth import bound_call
from server.errors import STATUS_OF_KIND, abort_with, internal_status, to_status
from server.interceptors import log_access
from server.logs import CallRecord
from toudai.v1 import audit_pb2 as pb
from toudai.v1 import audit_pb2_grpc as pb_grpc

log = logging.getLogger(__name__)

R = TypeVar("R")

FORMATS = {pb.EXPORT_FORMAT_CSV: "csv", pb.EXPORT_FORMAT_JSONL: "jsonl", pb.EXPORT_FORMAT_BEANCOUNT: "beancount"}


def _streaming(
    method: Callable[[Any, Any, grpc.ServicerContext], Iterator[R]],
) -> Callable[[Any, Any, grpc.ServicerContext], Iterator[R]]:
    """Error translation and an access log line for a server-streaming method."""

    @functools.wraps(method)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Iterator[R]:
        started = time.perf_counter()
        status = "OK"
        sent = 0
        try:
            for message in method(self, request, context):
                sent += 1
                yield message
        except LedgerError as error:
            status = STATUS_OF_KIND[error.kind].name
            abort_with(context, to_status(error))
        except GeneratorExit:
            status = "CANCELLED"
            raise
        except Exception:
            if getattr(context, "_state", None) is not None and context._state.aborted:  # type: ignore[attr-defined]
                code = context.code()  # type: ignore[attr-defined]
                status = code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"
                raise
            status = "INTERNAL"
            log.exception("unhandled error in %s", method.__name__)
            abort_with(context, internal_status(""))
        finally:
            call = bound_call(context)
            log_access(
                {
                    "method": f"/toudai.v1.AuditService/{method.__name__}",
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "messages": sent,
                    "peer": context.peer(),
                },
                CallRecord(call.identity.subject, call.identity.role.value) if call is not None else None,
            )

    return wrapper


def _parties(values: Any, path: str) -> tuple[str, ...]:
    return tuple(sorted({party_id_of(v, f"{path}[{i}]") for i, v in enumerate(values)}))


def _date(owner: Any, field: str, errors: ViolationCollector) -> dt.date | None:
    if not owner.HasField(field):
        return None
    return cv.date_in(getattr(owner, field), field, errors)


def leg_out(row: LegRow) -> pb.JournalLeg:
    leg = pb.JournalLeg(
        encoding_version=row.v,
        book=row.book,
        sequence=row.seq,
        prev_hash=row.prev,
        hash=row.hash,
        transaction_id=row.tx,
        request_id=row.request_id,
        description=row.description,
        metadata=dict(row.metadata),
        reverses=row.reverses or "",
        postings=[
            pb.JournalPosting(account=p.account, commodity=p.commodity, amount_minor=p.amount) for p in row.postings
        ],
    )
    if row.value_date:
        leg.value_date.CopyFrom(cv.date_out(row.date))
    if row.recorded_at:
        leg.record_time.FromDatetime(dt.datetime.strptime(row.recorded_at, "%Y-%m-%dT%H:%M:%S.%fZ"))
    return leg


class AuditServicer(pb_grpc.AuditServiceServicer):  # type: ignore[misc]
    """Implements toudai.v1.AuditService on a `Ledger`'s database."""

    def __init__(self, ledger: Ledger, *, poll_seconds: float = 0.25, notary: Notary | None = None) -> None:
        self._ledger = ledger
        self._reader = JournalReader(ledger.engines)
        self._poll_seconds = poll_seconds
        # Without a configured key (an in-process server, tests): a key that lives as long as the process.
        self._notary = notary or Notary(ledger.engines, DEFAULT_ORIGIN, [ephemeral_signer()], ledger.now)

    @_streaming
    def ExportJournal(
        self, request: pb.ExportJournalRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ExportJournalResponse]:
        errors = ViolationCollector()
        fmt = FORMATS.get(request.format)
        if fmt is None:
            errors.add("format", "is required: EXPORT_FORMAT_CSV, EXPORT_FORMAT_JSONL or EXPORT_FORMAT_BEANCOUNT")
        if request.from_sequence < 0:
            errors.add("from_sequence", "must not be negative")
        if request.to_sequence < 0:
            errors.add("to_sequence", "must not be negative")
        date_from = _date(request, "value_date_from", errors)
        date_to = _date(request, "value_date_to", errors)
        if date_from and date_to and date_to < date_from:
            errors.add("value_date_to", "must not be before value_date_from")
        errors.raise_if_any()
        assert fmt is not None
        accounts = tuple(
            "parties/{}/accounts/{}".format(*account_key_of(a, f"accounts[{i}]"))
            for i, a in enumerate(request.accounts)
        )
        filters = Filters(
            parties=_parties(request.parties, "parties"),
            accounts=tuple(sorted(set(accounts))),
            value_date_from=date_from,
            value_date_to=date_to,
            from_sequence=request.from_sequence or None,
            to_sequence=request.to_sequence or None,
        )
        pieces = export_journal(
            self._reader, fmt, filters, clock=self._ledger.now, sign=lambda heads: self._notary.sign_heads(heads)[1]
        )
        for piece in pieces:
            if piece.manifest is None:
                yield pb.ExportJournalResponse(
                    data=piece.data, legs_exported=piece.legs_exported, legs_total=piece.legs_total
                )
                continue
            m = piece.manifest
            yield pb.ExportJournalResponse(
                legs_exported=piece.legs_exported,
                legs_total=piece.legs_total,
                manifest=pb.ExportManifest(
                    json=json.dumps(m, ensure_ascii=False, indent=2, sort_keys=True),
                    sha256=m["sha256"],
                    size_bytes=m["size_bytes"],
                    transaction_count=m["counts"]["transactions"],
                    leg_count=m["counts"]["legs"],
                    posting_count=m["counts"]["postings"],
                    checkpoint=m["checkpoint"]["hash"],
                    signed_checkpoint=m.get("signed_checkpoint") or "",
                ),
            )

    @_streaming
    def SubscribeJournal(
        self, request: pb.SubscribeJournalRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.SubscribeJournalResponse]:
        if request.start_sequence < 0:
            raise InvalidArgument.one("start_sequence", "must not be negative")
        parties = _parties(request.parties, "parties")
        self._reader.check_parties(parties)
        after: dict[str, int] = follow_.decode_cursor(request.cursor) if request.cursor else {}
        for i, position in enumerate(request.after):
            if position.sequence < 0:
                raise InvalidArgument.one(f"after[{i}].sequence", "must not be negative")
            after[party_id_of(position.party, f"after[{i}].party")] = position.sequence
        for row, cursor in follow_.follow(
            self._reader,
            after,
            parties=frozenset(parties),
            start_after=max(request.start_sequence - 1, 0),
            stop_when_caught_up=request.stop_when_caught_up,
            poll_seconds=self._poll_seconds,
            active=context.is_active,
        ):
            yield pb.SubscribeJournalResponse(leg=leg_out(row), cursor=cursor)

    def TrialBalance(self, request: pb.TrialBalanceRequest, context: grpc.ServicerContext) -> pb.TrialBalanceResponse:
        errors = ViolationCollector()
        as_of = _date(request, "as_of_date", errors)
        errors.raise_if_any()
        parties = _parties(request.parties, "parties")
        self._reader.check_parties(parties)
        known = {p.id: p for p in self._reader.parties()}
        wanted = list(parties) or sorted(known)
        lines_of: dict[str, list[Any]] = defaultdict(list)
        for line in self._reader.balance_lines(as_of, wanted):
            lines_of[line.book].append(line)
        response = pb.TrialBalanceResponse(balanced=True)
        if as_of is not None:
            response.as_of_date.CopyFrom(cv.date_out(as_of))
        for party_id in wanted:
            party = known[party_id]
            out = pb.PartyTrialBalance(
                party=f"parties/{party_id}",
                display_name=party.display_name,
                kind=cv.PARTY_KIND[PartyKind(party.kind)],
                balanced=True,
            )
            totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            scales: dict[str, int] = {}
            for line in lines_of[party_id]:
                debit, credit = max(line.balance, 0), max(-line.balance, 0)
                totals[line.commodity][0] += debit
                totals[line.commodity][1] += credit
                scales[line.commodity] = line.scale
                out.lines.append(
                    pb.TrialBalanceLine(
                        account=f"parties/{party_id}/accounts/{line.code}",
                        type=cv.ACCOUNT_TYPE[AccountType(line.type)],
                        commodity=line.commodity,
                        debit=amounts.format_minor(debit, line.scale),
                        credit=amounts.format_minor(credit, line.scale),
                        balance_minor=line.balance,
                    )
                )
            for commodity, (debit, credit) in sorted(totals.items()):
                out.totals.append(
                    pb.CommodityTotal(
                        commodity=commodity,
                        debit=amounts.format_minor(debit, scales[commodity]),
                        credit=amounts.format_minor(credit, scales[commodity]),
                        balanced=debit == credit,
                    )
                )
                if debit != credit:
                    out.balanced = False
                    response.balanced = False
            response.parties.append(out)
        return response

    def VerifyChain(self, request: pb.VerifyChainRequest, context: grpc.ServicerContext) -> pb.VerifyChainResponse:
        party = party_id_of(request.party, "party")
        checked = verify_book(self._reader, party, request.from_sequence, request.to_sequence)
        return pb.VerifyChainResponse(
            party=f"parties/{party}",
            ok=checked.ok,
            legs_checked=checked.legs_checked,
            first_bad_sequence=checked.first_bad,
            faults=[pb.ChainFault(sequence=f.seq, kind=f.kind, description=f.message) for f in checked.faults],
            head_sequence=checked.head_sequence,
            head_hash=checked.head_hash,
            computed_hash=checked.computed_hash,
        )

    def GetChainHead(self, request: pb.GetChainHeadRequest, context: grpc.ServicerContext) -> pb.GetChainHeadResponse:
        parties = set(_parties(request.parties, "parties"))
        read_time = self._ledger.now()
        heads = self._reader.heads()
        self._reader.check_parties(parties)
        response = pb.GetChainHeadResponse(
            heads=[pb.BookHead(party=b, sequence=s, hash=h) for b, s, h in heads if not parties or b in parties],
            checkpoint=checkpoint_hash(heads),
            checkpoint_heads=[pb.BookHead(party=b, sequence=s, hash=h) for b, s, h in heads],
            encoding_version=ENCODING_VERSION,
        )
        response.read_time.FromDatetime(read_time)
        return response

    def GetBalanceHistory(
        self, request: pb.GetBalanceHistoryRequest, context: grpc.ServicerContext
    ) -> pb.GetBalanceHistoryResponse:
        errors = ViolationCollector()
        as_of = _date(request, "as_of_date", errors)
        errors.raise_if_any()
        keys = [account_key_of(a, f"accounts[{i}]") for i, a in enumerate(request.accounts)]
        response = pb.GetBalanceHistoryResponse()
        for line, points in self._reader.balance_history(keys, as_of):
            account_type = AccountType(line.type)
            sign = 1 if account_type.debit_normal else -1
            response.histories.append(
                pb.AccountBalanceHistory(
                    account=f"parties/{line.book}/accounts/{line.code}",
                    commodity=line.commodity,
                    type=cv.ACCOUNT_TYPE[account_type],
                    points=[
                        pb.BalancePoint(
                            value_date=cv.date_out(day),
                            balance=amounts.format_minor(sign * value, line.scale),
                            balance_minor=value,
                        )
                        for day, value in points
                    ],
                )
            )
        return response

    # ------------------------------------------------------------------ signed checkpoints and proofs

    def GetCheckpoint(
        self, request: pb.GetCheckpointRequest, context: grpc.ServicerContext
    ) -> pb.GetCheckpointResponse:
        checkpoint, note = self._notary.current()
        return pb.GetCheckpointResponse(
            signed_note=note,
            checkpoint=checkpoint.checkpoint,
            keys=[
                pb.CheckpointKey(
                    kid=s.kid, vkey=s.verifier.vkey, public_key=s.verifier.public, key_id=s.verifier.id.hex()
                )
                for s in self._notary.signers
            ],
        )

    def GetInclusionProof(
        self, request: pb.GetInclusionProofRequest, context: grpc.ServicerContext
    ) -> pb.GetInclusionProofResponse:
        book = party_id_of(request.book, "book")
        if request.sequence < 1:
            raise InvalidArgument.one("sequence", "must be at least 1")
        if request.tree_size < 0:
            raise InvalidArgument.one("tree_size", "must not be negative")
        # A scoped party: only a leg of its own book, or of a transaction that also posted to its book; any
        # other leg (or book) is NOT_FOUND, as if it did not exist.
        party = authz.scope(context)
        if party is not None and not self._notary.leg_concerns(book, request.sequence, party):
            raise NotFound(f"parties/{book}/legs/{request.sequence}", "leg")
        size = request.tree_size
        if request.checkpoint:
            try:
                body, _ = split_note(request.checkpoint)
                tree = parse_body(body).books.get(book)
            except CheckpointError as error:
                raise InvalidArgument.one("checkpoint", str(error)) from None
            if tree is None:
                raise InvalidArgument.one("checkpoint", f"does not list the book {book}")
            if size and size != tree.size:
                raise InvalidArgument.one("tree_size", f"differs from the checkpoint's size {tree.size}")
            size = tree.size
            if size < request.sequence:
                raise InvalidArgument.one("sequence", f"is beyond the checkpoint's tree size {size}")
        proof = self._notary.inclusion(book, request.sequence, size)
        return pb.GetInclusionProofResponse(
            book=proof.book,
            sequence=proof.seq,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash,
            leg_hash=proof.leg_hash,
            path=proof.path,
            root=proof.root,
        )

    def GetConsistencyProof(
        self, request: pb.GetConsistencyProofRequest, context: grpc.ServicerContext
    ) -> pb.GetConsistencyProofResponse:
        book = party_id_of(request.book, "book")
        if request.first_size < 0:
            raise InvalidArgument.one("first_size", "must not be negative")
        if request.second_size < 0:
            raise InvalidArgument.one("second_size", "must not be negative")
        proof = self._notary.consistency(book, request.first_size, request.second_size)
        return pb.GetConsistencyProofResponse(
            book=proof.book,
            first_size=proof.first_size,
            second_size=proof.second_size,
            path=proof.path,
            first_root=proof.first_root,
            second_root=proof.second_root,
        )
