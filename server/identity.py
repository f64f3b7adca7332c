"""Who is calling: the principal recorded with every workflow step.

The principal is the verified `sub` of the caller's bearer token (server.auth binds it to the call
before a servicer runs). In development mode a call without a token acts as the development
administrator, named by the `x-toudai-principal` metadata (`toudai exercise ... --as NAME`) or
`dev-admin`; with keys configured that metadata is ignored, since anyone can claim any name.
"""

from __future__ import annotations

import grpc

from server.auth import PRINCIPAL_METADATA, bound_call

ANONYMOUS = "anonymous"

__all__ = ["ANONYMOUS", "PRINCIPAL_METADATA", "principal_of", "role_of"]


def principal_of(context: grpc.ServicerContext) -> str:
    """The verified subject of the call (ANONYMOUS outside an authenticated call)."""
    call = bound_call(context)
    return call.identity.subject if call is not None else ANONYMOUS


def role_of(context: grpc.ServicerContext) -> str:
    """The caller's role ("" outside an authenticated call)."""
    call = bound_call(context)
    return call.identity.role.value if call is not None else ""
