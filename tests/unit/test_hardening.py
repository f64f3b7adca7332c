"""The small pure parts of the security hardening: principals, names, metadata keys, transport, log lines."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

import pytest

from ledger.principal import normalised_principal, same_person
from ledger.validation import has_any_control_character, is_reserved_metadata_key
from server.auth import AuthConfigError, check_transport, describe_duration
from server.logs import JsonFormatter


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("arm-alice", "ARM-ALICE"),
        ("arm-alice", "Arm-Alice"),
        ("arm-alice", "  arm-alice\t"),
        ("arm-alice", "ａｒｍ－ａｌｉｃｅ"),  # full-width letters and hyphen (NFKC)
        ("straße", "STRASSE"),  # casefold, not lower
        ("ﬁnance", "finance"),  # the ligature decomposes
    ],
)
def test_one_person_however_spelled(first: str, second: str) -> None:
    assert normalised_principal(first) == normalised_principal(second)
    assert same_person(first, second)


@pytest.mark.parametrize(("first", "second"), [("arm-alice", "arm-bob"), ("arm-alice", "arm_alice"), ("a", "á")])
def test_different_people_stay_different(first: str, second: str) -> None:
    assert not same_person(first, second)


@pytest.mark.parametrize("bad", ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\x9f", "\u2028", "\u2029"])
def test_control_characters(bad: str) -> None:
    assert has_any_control_character(f"a{bad}b")


@pytest.mark.parametrize("good", ["zhang.wei", "张伟", "O'Brien", "a b", "\u00a0nbsp", "emoji 🙂", "\u200b"])
def test_printable_names(good: str) -> None:
    assert not has_any_control_character(good)


@pytest.mark.parametrize("key", ["toudai.principal", "TOUDAI.principal", "Toudai.x", "tOuDaI.role"])
def test_reserved_keys_in_any_case(key: str) -> None:
    assert is_reserved_metadata_key(key)


@pytest.mark.parametrize("key", ["toudai", "toudaix.y", "my.toudai.x", "deal"])
def test_other_keys_are_not_reserved(key: str) -> None:
    assert not is_reserved_metadata_key(key)


def test_plaintext_off_loopback_needs_tls_or_the_proxy_flag(caplog: pytest.LogCaptureFixture) -> None:
    for loopback in ("127.0.0.1:50051", "[::1]:50051", "localhost:50051"):
        check_transport(loopback, tls=False)
    for public in ("0.0.0.0:50051", "10.0.0.5:50051", "[::]:50051", "ledger.bank.internal:50051"):
        check_transport(public, tls=True)
        with pytest.raises(AuthConfigError) as refused:
            check_transport(public, tls=False)
        message = str(refused.value)
        assert "--tls-cert" in message and "--tls-key" in message and "--plaintext-behind-proxy" in message
    with caplog.at_level(logging.WARNING, logger="toudai.auth"):
        check_transport("0.0.0.0:50051", tls=False, plaintext_behind_proxy=True)
    (warning,) = [r for r in caplog.records if r.name == "toudai.auth"]
    assert warning.levelno == logging.WARNING
    assert "assumed to be protected elsewhere" in warning.getMessage()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(86_400, "24h"), (7 * 86_400, "7d"), (5_400, "90m"), (3_600, "1h"), (45, "45s"), (86_401, "24.00h")],
)
def test_durations_in_messages(seconds: int, text: str) -> None:
    assert describe_duration(dt.timedelta(seconds=seconds)) == text


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("toudai.auth", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_every_record_is_one_json_line() -> None:
    formatter = JsonFormatter()
    hostile = 'alice\n{"level": "INFO"}\r\x85\u2028\u2029\x7f\x1b[2J\x00'
    line = formatter.format(_record("user %s says %s", hostile, "张伟"))
    assert line.splitlines() == [line]  # no character any reader takes for a line break
    entry = json.loads(line)
    assert entry["message"] == f"user {hostile} says 张伟"
    assert entry["level"] == "WARNING" and entry["logger"] == "toudai.auth" and entry["time"].endswith("Z")
    fields = {"method": "/toudai.v1.LedgerService/ListParties", "status": "OK", "principal": hostile}
    access = json.loads(formatter.format(_record("ignored", fields=fields)))
    assert {k: access[k] for k in fields} == fields and "message" not in access
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        failed = _record("failed")
        failed.exc_info = sys.exc_info()
    crashed = formatter.format(failed)
    assert crashed.splitlines() == [crashed] and "ValueError: boom" in json.loads(crashed)["exception"]
