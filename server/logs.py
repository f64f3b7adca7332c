"""The server's log lines: one JSON object per line, and who made the call the access log reports.

`toudai serve` installs `JsonFormatter` on its one stderr handler (clients/operate.py), so every logger of
the process (the access log, `toudai.auth`, the server's own, grpc's) writes one JSON object per line:

    {"time": "2026-12-05T09:34:27.123Z", "level": "WARNING", "logger": "toudai.auth", "message": "..."}

A record may carry its fields as data (`extra={"fields": {...}}`, as the access log's do): they are written
as the object's own keys instead of a `message`. A traceback is the `exception` key. Whatever a message
holds, it stays on one line: `json.dumps` escapes quotes and the C0 controls, and the formatter escapes
as well what JSON leaves raw but a log reader may take for a line break (DEL, the C1 controls, U+2028 and
U+2029). So a caller cannot forge a log line with a crafted token or request; messages still quote what a
caller sent with `%r`, so that it reads as a value, not as part of the sentence.

`CallRecord`: the error-and-log interceptor opens one per call (`recording()`), and the auth interceptor,
which runs inside it, notes the verified caller in it (`note_caller`), so that the access log line can
name the caller's principal and role after the call's binding has ended.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

#: What JSON (with ensure_ascii=False) leaves unescaped although a reader may split a line there.
_LINE_BREAKING = re.compile("[\x7f-\x9f\u2028\u2029]")


def _escape_line_breaking(text: str) -> str:
    return _LINE_BREAKING.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def one_line_json(entry: Mapping[str, Any]) -> str:
    """`entry` as one line of JSON (non-ASCII text readable, every line-breaking character escaped)."""
    return _escape_line_breaking(json.dumps(entry, ensure_ascii=False, default=str))


class JsonFormatter(logging.Formatter):
    """Formats every record as one JSON object on one line (see the module docstring for its keys)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            entry.update({k: v for k, v in fields.items() if k not in entry})
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return one_line_json(entry)


@dataclass(slots=True)
class CallRecord:
    """The verified caller of one call, for its access log line (None until the auth interceptor knows)."""

    principal: str | None = None
    role: str | None = None


_current: contextvars.ContextVar[CallRecord | None] = contextvars.ContextVar("toudai_call_record", default=None)


@contextmanager
def recording() -> Iterator[CallRecord]:
    """A fresh CallRecord for the call running in this thread, until the block ends."""
    record = CallRecord()
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


def note_caller(principal: str, role: str) -> None:
    """Record the verified caller of the call being logged (nothing outside `recording()`)."""
    record = _current.get()
    if record is not None:
        record.principal = principal
        record.role = role


__all__ = ["CallRecord", "JsonFormatter", "note_caller", "one_line_json", "recording"]
