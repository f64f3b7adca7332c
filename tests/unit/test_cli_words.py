"""Server messages shown by the CLI name the CLI command to type, not the RPC (clients.cli.in_cli_words)."""

from __future__ import annotations

import argparse

import pytest

from clients.cli import RPC_COMMANDS, build_parser, in_cli_words
from toudai.v1 import (
    agreements_pb2,
    assessment_pb2,
    credit_pb2,
    deals_pb2,
    insurance_pb2,
    ledger_pb2,
    settlement_pb2,
    sharing_pb2,
    valuation_pb2,
)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


@pytest.mark.parametrize(("rpc", "command"), sorted(RPC_COMMANDS.items()))
def test_every_translation_names_a_real_rpc_and_a_real_command(rpc: str, command: str) -> None:
    modules = (ledger_pb2, deals_pb2, agreements_pb2, credit_pb2, insurance_pb2, assessment_pb2, sharing_pb2)
    methods = {
        m.name
        for module in (*modules, settlement_pb2, valuation_pb2)
        for s in module.DESCRIPTOR.services_by_name.values()
        for m in s.methods
    }
    assert rpc in methods
    parser = build_parser()
    for word in command.split()[1:]:
        parser = _subcommands(parser)[word]


def test_a_message_reads_as_what_to_type() -> None:
    assert in_cli_words("commodity XYZ does not exist: CreateCommodity first") == (
        "commodity XYZ does not exist: `toudai commodity create` first"
    )
    assert in_cli_words("record one with RecordFundingRound") == "record one with `toudai round record`"
    assert in_cli_words("WriteOffs and PostTransactionsX stay") == "WriteOffs and PostTransactionsX stay"
