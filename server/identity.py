"""Who is calling: the principal recorded with every workflow step.

Until bearer tokens are verified (the security issue), the principal is read from the
`x-toudai-principal` request metadata, which the CLI sends from `--as` / TOUDAI_PRINCIPAL. That is a
development stand-in, not authentication: anyone can claim any name. The one function here is the seam
where the verified JWT subject will be read instead, without touching the servicers.
"""

from __future__ import annotations

import grpc

PRINCIPAL_METADATA = "x-toudai-principal"
ANONYMOUS = "anonymous"


def principal_of(context: grpc.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == PRINCIPAL_METADATA and isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return ANONYMOUS
