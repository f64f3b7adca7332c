"""The CLI's argument converters (clients/cli_args.py): what a clerk may type and what each means."""

from __future__ import annotations

import argparse

import pytest

from clients import cli_args


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("127.0.0.1:50051", "127.0.0.1:50051"),
        ("toudai.bank.example", "toudai.bank.example:50051"),  # no port: toudai's, not gRPC's 443
        ("localhost", "localhost:50051"),
        (" ledger:9000 ", "ledger:9000"),
        ("dns:///ledger.bank.example:443", "dns:///ledger.bank.example:443"),  # a gRPC URI passes as typed
        ("unix:/run/toudai.sock", "unix:/run/toudai.sock"),
        ("[::1]:50051", "[::1]:50051"),
    ],
)
def test_a_target_means_host_and_port(typed: str, meant: str) -> None:
    assert cli_args.target(typed) == meant


@pytest.mark.parametrize("typed", ["", "host:", ":50051", "host:http", "host:0", "host:65536"])
def test_a_bad_target_is_a_usage_error(typed: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        cli_args.target(typed)


@pytest.mark.parametrize(("typed", "days"), [("0", 0), ("90", 90), ("3650", 3650)])
def test_days(typed: str, days: int) -> None:
    assert cli_args.days(typed) == days


@pytest.mark.parametrize("typed", ["-1", "3651", "ninety", "9.5", ""])
def test_bad_days(typed: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        cli_args.days(typed)


@pytest.mark.parametrize(
    ("typed", "fen"), [("100.25", "100.25"), ("100.250", "100.250"), ("7", "7"), ("-3.10", "-3.10")]
)
def test_cny_amounts_to_the_fen(typed: str, fen: str) -> None:
    assert str(cli_args.cny(typed)) == fen


@pytest.mark.parametrize("typed", ["1000.001", "0.005", "1e-3"])
def test_cny_below_a_fen_is_a_usage_error(typed: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="more than two decimal places"):
        cli_args.cny(typed)
