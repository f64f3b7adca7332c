"""SubscribeJournal: follow live, drop the stream mid-way, resume, and compare with a full export.

Whether resumed by cursor or by per-book positions, the followed copy must equal the export exactly:
every leg once, no gap, no duplicate, each book in sequence order, hashes intact.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import threading
from collections import defaultdict

import grpc
import pytest

from tests.integration.test_audit_export import export
from tests.integration.test_audit_seed import audit_stub, seed, transfer
from toudai.v1 import audit_pb2 as apb
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

DAY = dt.date(2026, 6, 1)


def _key(leg: apb.JournalLeg) -> tuple[str, int, str]:
    return (leg.book, leg.sequence, leg.hash)


def _post_more(stub: ledger_pb2_grpc.LedgerServiceStub, prefix: str, count: int) -> None:
    stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[transfer(f"{prefix}-{n}", DAY, "pool/cash", "pool/fund", "1.00") for n in range(count // 2)]
            + [
                transfer(f"{prefix}-nb-{n}", DAY, "bank-nb/loans.nb001", "bank-nb/cash", "2.00")
                for n in range(count // 2)
            ]
        )
    )


def _assert_exact_copy(got: list[tuple[str, int, str]], channel: grpc.Channel, tmp_path: pathlib.Path) -> None:
    assert len(got) == len(set(got)), "duplicates"
    per_book: dict[str, list[int]] = defaultdict(list)
    for book, seq, _ in got:
        per_book[book].append(seq)
    for book, seqs in per_book.items():
        assert seqs == list(range(1, len(seqs) + 1)), f"{book}: gap or disorder"
    path = tmp_path / "all.jsonl"
    export(channel, path, "jsonl")
    expected = {(r["book"], r["seq"], r["hash"]) for r in map(json.loads, path.read_text().splitlines())}
    assert set(got) == expected


@pytest.mark.parametrize("resume_by", ["cursor", "positions"])
def test_resume_after_disconnect_has_no_gap_and_no_duplicate(
    resume_by: str, stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    seed(stub, extra_transfers=40)
    audit = audit_stub(channel)
    call = audit.SubscribeJournal(apb.SubscribeJournalRequest())
    got: list[tuple[str, int, str]] = []
    cursor = ""
    last: dict[str, int] = {}
    for message in call:
        got.append(_key(message.leg))
        cursor = message.cursor
        last[message.leg.book] = message.leg.sequence
        if len(got) == 20:
            call.cancel()  # the follower drops mid-way (inside bank-hz's book)
            break
    _post_more(stub, "while-away", 10)  # the journal moves on while it is away
    if resume_by == "cursor":
        request = apb.SubscribeJournalRequest(cursor=cursor, stop_when_caught_up=True)
    else:
        request = apb.SubscribeJournalRequest(
            after=[apb.BookPosition(party=b, sequence=s) for b, s in last.items()], stop_when_caught_up=True
        )
    got.extend(_key(m.leg) for m in audit.SubscribeJournal(request))
    _assert_exact_copy(got, channel, tmp_path)


def test_follows_live_writes(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    seed(stub)
    audit = audit_stub(channel)
    call = audit.SubscribeJournal(apb.SubscribeJournalRequest(parties=["pool", "bank-nb"]))
    got: list[tuple[str, int, str]] = []
    done = threading.Event()

    def reader() -> None:
        try:
            for message in call:
                got.append(_key(message.leg))
                if len(got) == 3 + 4 + 20:  # pool 3 + bank-nb 4 so far, then 20 live legs
                    done.set()
                    return
        except grpc.RpcError:
            pass

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    for round_ in range(4):
        _post_more(stub, f"live-{round_}", 10)
    assert done.wait(30), f"only {len(got)} legs arrived"
    call.cancel()
    thread.join(10)
    assert {b for b, _, _ in got} == {"pool", "bank-nb"}
    assert len(got) == len(set(got))


def test_start_sequence_and_bad_cursor(stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel) -> None:
    seed(stub)
    audit = audit_stub(channel)
    legs = [
        m.leg
        for m in audit.SubscribeJournal(
            apb.SubscribeJournalRequest(parties=["bank-hz"], start_sequence=3, stop_when_caught_up=True)
        )
    ]
    assert [leg.sequence for leg in legs] == [3, 4, 5]
    assert legs[0].record_time.seconds > 0 and legs[0].value_date.year == 2026
    with pytest.raises(grpc.RpcError) as caught:
        list(audit.SubscribeJournal(apb.SubscribeJournalRequest(cursor="not-a-cursor")))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "grpc-status-details-bin" in dict(caught.value.trailing_metadata() or ())
