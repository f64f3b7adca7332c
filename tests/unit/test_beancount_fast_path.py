"""The Beancount reader's fast path (a whole transaction matched at once) reads exactly what the general,
line-by-line reader reads: the same legs, and the same faults for anything off the exporter's layout.

Each example is read twice: as shipped, and with the fast path switched off (`_Lines.entry` answering
None, so every line goes through the general reader), from the exporter's own bytes and from the same
bytes with one random edit; and once more with a buffer so small that entries are cut off by it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit import beancount_read
from audit.beancount_read import BeancountLeg, read_beancount
from audit.encode import BeancountEncoder
from audit.grammar import GrammarError, amount_minor, decimal_minor
from tests.unit.test_audit_grammar import BOOKS, TRICKY, _legs

SCALES = {"CNY": 2, "OPT-ACME": 0}


def _export(descriptions: list[str]) -> str:
    accounts, legs, _ = _legs(descriptions)
    encoder = BeancountEncoder(list(accounts.items()), SCALES, open_date=dt.date(2026, 1, 1))
    data = encoder.header() + b"".join(encoder.legs(b, legs[b]) for b in BOOKS) + encoder.footer()
    return data.decode("utf-8")


def _read(text: str) -> list[Any]:
    stream = io.TextIOWrapper(io.BytesIO(text.encode("utf-8", "surrogateescape")), encoding="utf-8", newline="\n")
    return [
        item if isinstance(item, BeancountLeg) else ("fault", str(item), item.book, item.seq)
        for item in read_beancount(stream, dict(SCALES))
    ]


def _general(text: str, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    with monkeypatch.context() as patch:
        patch.setattr(beancount_read._Lines, "entry", lambda self: None)
        return _read(text)


def test_the_exporters_transactions_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _export(["plain", "plain again"])
    taken: list[int] = []
    entry = beancount_read._Lines.entry

    def counting(self: Any) -> Any:
        found = entry(self)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(beancount_read._Lines, "entry", counting)
    read = _read(text)
    legs = [item for item in read if isinstance(item, BeancountLeg)]
    # The legs whose strings need no escapes (here the ones with empty metadata) take the fast path.
    assert legs and sum(taken) >= 1
    monkeypatch.undo()
    assert read == _general(text, monkeypatch)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    descriptions=st.lists(st.sampled_from([*TRICKY, "plain", "two words"]), min_size=1, max_size=4),
    at=st.floats(0, 1),
    edit=st.sampled_from(["insert", "delete", "replace", "none"]),
    char=st.sampled_from(list(' \n"\\-0123.:aZ\t\u00a0x')),
)
def test_fast_and_general_readers_agree_on_any_one_edit(
    descriptions: list[str], at: float, edit: str, char: str
) -> None:
    text = _export(descriptions)
    where = int(at * (len(text) - 1))
    if edit == "insert":
        text = text[:where] + char + text[where:]
    elif edit == "delete":
        text = text[:where] + text[where + 1 :]
    elif edit == "replace":
        text = text[:where] + char + text[where + 1 :]
    with pytest.MonkeyPatch.context() as patch:
        fast = _read(text)
        general = _general(text, patch)
        patch.setattr(beancount_read, "_BUFFER", 97)  # entries cut off by the buffer: the general reader's
        small = _read(text)
    assert fast == general
    assert small == general


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(st.sampled_from(list("-0123456789.+ _e\u0661\uff11")), max_size=9), scale=st.sampled_from([0, 2, 3])
)
def test_amount_minor_accepts_what_decimal_minor_accepts(text: str, scale: int) -> None:
    try:
        expected: int | None = decimal_minor(text, scale, "amount")
    except GrammarError:
        expected = None
    assert amount_minor(text, scale) == expected


@pytest.mark.parametrize("buffer", [97, 1 << 16])
def test_a_line_longer_than_the_buffer_is_read_not_waited_on(buffer: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line longer than the read buffer once made the reader wait forever for a line feed that was
    already past the buffer's end (found by the edit test above at a 97-character buffer); a hostile file
    with a 64 KiB line would have hung `toudai audit verify`."""
    monkeypatch.setattr(beancount_read, "_BUFFER", buffer)
    text = _export(["plain"])
    long_comment = "; " + "x" * (3 * buffer) + "\n"
    with_comment = text.replace("\n", "\n" + long_comment, 1)
    assert _read(with_comment) == _general(with_comment, monkeypatch)
    # The same legs as without the comment, one line further down.
    legs = [x for x in _read(with_comment) if isinstance(x, BeancountLeg)]
    plain = [x for x in _read(text) if isinstance(x, BeancountLeg)]
    assert legs and [dataclasses.replace(x, line=x.line - 1) for x in legs] == plain
