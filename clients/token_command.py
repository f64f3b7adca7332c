"""`toudai token`: mint a bearer token for development and tests.

Without `--key` the token is signed (HS256, kid `dev`) with the development secret, the file
var/dev-jwt-secret under the working directory (or env TOUDAI_DEV_SECRET_FILE), created on first use;
`toudai serve` in development mode reads the same file, so a token minted here verifies there. With
`--key [KID=]FILE` it is signed with that key instead: an HS256 secret file or a PEM private key (RS256,
ES256 or EdDSA), for a server configured with the matching `--jwt-key`. Production tokens come from
the bank's identity provider, not from here.

`--ttl` above the servers' default maximum token lifetime (24h, `toudai serve --max-token-lifetime`)
still mints, but says on stderr that a server with the default maximum refuses the token.

    export TOUDAI_TOKEN=$(toudai token --role branch --branch bank-hz --sub zhang.wei)
"""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from clients import cli_args

ROLES = ("branch", "investment_arm", "risk_pool", "insurer", "credit_data", "auditor", "admin")  # server.auth.Role


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", required=True, choices=ROLES, help="the token's role claim")
    parser.add_argument("--branch", help="the branch's party id (required for --role branch)")
    parser.add_argument("--party", help="the caller's party id (required for investment_arm, risk_pool and insurer)")
    parser.add_argument("--sub", help="the principal recorded with what the token does (default dev-ROLE)")
    parser.add_argument(
        "--key",
        metavar="[KID=]FILE",
        help="sign with this HS256 secret or PEM private key (default: the development secret)",
    )
    parser.add_argument(
        "--ttl",
        type=cli_args.duration,
        default="8h",
        help="lifetime, e.g. 8h, 30m, 7d (default 8h); servers refuse tokens living longer than their "
        "--max-token-lifetime (default 24h)",
    )


def run(args: argparse.Namespace) -> int:
    from server import auth  # PyJWT and the key loading only for this command

    errors = Console(stderr=True, soft_wrap=True)
    role = auth.Role(args.role)
    party = (args.branch if role is auth.Role.BRANCH else args.party) or ""
    claim = auth.PARTY_CLAIM.get(role)
    if claim is not None and not party:
        errors.print(
            f"[bold red]toudai:[/] {'an' if role.value[0] in 'aeiou' else 'a'} {role.value} token needs --{claim}",
            highlight=False,
        )
        return 2
    try:
        if args.key:
            kid, path = auth.parse_key_spec(args.key)
            signing_key, _ = auth.read_key_material(path)
        else:
            kid, signing_key = auth.DEV_KID, auth.ensure_dev_secret(auth.dev_secret_path())
        token = auth.mint_token(
            role=role,
            subject=args.sub or f"dev-{role.value}",
            signing_key=signing_key,
            kid=kid,
            ttl=args.ttl,
            party=party.removeprefix("parties/"),
        )
    except auth.AuthConfigError as error:
        errors.print(f"[bold red]toudai:[/] {error}", highlight=False)
        return 1
    if args.ttl > auth.DEFAULT_MAX_TOKEN_LIFETIME:
        errors.print(
            f"[bold yellow]toudai: warning:[/] --ttl {auth.describe_duration(args.ttl)} is longer than the default "
            f"maximum token lifetime ({auth.describe_duration(auth.DEFAULT_MAX_TOKEN_LIFETIME)}): a server refuses "
            f"this token unless it runs with --max-token-lifetime {auth.describe_duration(args.ttl)} or more",
            highlight=False,
        )
    sys.stdout.write(token + "\n")
    return 0
