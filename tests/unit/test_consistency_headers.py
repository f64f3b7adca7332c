"""The consistency-token metadata keys are spelled twice: in the client SDK (clients.client), which may
not import the server (.importlinter, contract sdk-is-light), and in the server's read router
(server.read_routing). A key spelled differently on one side would not fail any call: the server would
ignore the client's token and the client would miss the server's, so reads would quietly lose
read-your-writes. This pins the two spellings to each other."""

from __future__ import annotations

import clients.client
import server.read_routing


def test_the_client_and_the_server_name_the_consistency_token_alike() -> None:
    assert clients.client.TOKEN_HEADER == server.read_routing.TOKEN_HEADER == "x-toudai-consistency-token"


def test_the_client_and_the_server_name_the_served_by_header_alike() -> None:
    assert clients.client.SERVED_BY_HEADER == server.read_routing.SERVED_BY_HEADER == "x-toudai-served-by"


def test_the_keys_are_valid_grpc_metadata_keys() -> None:
    """gRPC metadata keys are lower case ASCII; a `-bin` suffix would make the value binary."""
    for key in (clients.client.TOKEN_HEADER, clients.client.SERVED_BY_HEADER):
        assert key == key.lower() and key.isascii() and not key.endswith("-bin")
