"""The `toudai` subcommands that run the server or manage its database: `serve`, `db upgrade`, `db revision`.

These are the only CLI commands that import the server and the ledger, and only when they run (the
imports are inside the commands), so `import clients.cli` and the client SDK never load them; the rest
speak gRPC. A failure to start (unknown schema revision, port taken, a database or role that does not exist; a
PostgreSQL that does not answer yet is waited for: server/availability.py) is reported in one line an operator can
act on, and exits 1 instead of dumping a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any

from rich.console import Console

EXIT_OK = 0
EXIT_FAILED = 1


def configure_logging(level: str) -> None:
    """Every logger of the process writes one JSON object per line to stderr (server.logs.JsonFormatter).

    One handler, on the root logger: the access log (`toudai.access`, one record per call with its fields
    as keys), `toudai.auth`, the server's own loggers, grpc's, and Python warnings (captured into the
    `py.warnings` logger) all come out as JSON lines, ready for `jq` or a log shipper, and none of them can
    be split into two lines by what a caller sends.
    """
    from server.logs import JsonFormatter  # the server's code only when serving

    root = logging.getLogger()
    root.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    access = logging.getLogger("toudai.access")
    access.handlers.clear()
    access.propagate = True
    logging.captureWarnings(True)


def _fail(message: str) -> int:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]toudai:[/] {message}", highlight=False)
    return EXIT_FAILED


def serve(args: argparse.Namespace) -> int:
    import sqlalchemy.exc

    from audit.checkpoint import DEFAULT_ORIGIN, ORIGIN_ENV
    from audit.checkpoint import specs_from_env as checkpoint_specs_from_env
    from clients.cli_args import duration
    from deals.credit.classification import Policy
    from ledger.errors import SchemaMismatch
    from server.app import serve as run_server  # grpc server machinery only when serving
    from server.auth import DEFAULT_MAX_TOKEN_LIFETIME, MAX_LIFETIME_ENV, key_specs_from_env

    lifetime = getattr(args, "max_token_lifetime", None)
    if lifetime is None:
        configured = os.environ.get(MAX_LIFETIME_ENV, "").strip()
        try:
            lifetime = duration(configured) if configured else DEFAULT_MAX_TOKEN_LIFETIME
        except argparse.ArgumentTypeError as error:
            return _fail(f"{MAX_LIFETIME_ENV}: {error}")
    configure_logging(args.log_level)
    if getattr(args, "workers", 1) != 1:  # several processes on one port: clients/workers.py supervises them
        from clients import workers

        try:
            workers.check(args.workers, args.listen, getattr(args, "metrics_listen", None))
        except workers.WorkersError as error:
            return _fail(str(error))
        return workers.run(args)
    try:
        run_server(
            args.listen,
            args.database_url,
            migrate=not args.no_migrate,
            ready=getattr(args, "ready", None),  # a worker's (clients/workers.py): set once it serves
            reuse_port=args.reuse_port,
            metrics_listen=getattr(args, "metrics_listen", None),
            jwt_keys=args.jwt_key or key_specs_from_env(),
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            client_ca=args.client_ca,
            max_token_lifetime=lifetime,
            plaintext_behind_proxy=getattr(args, "plaintext_behind_proxy", False),
            timezone=args.timezone,
            credit_policy=Policy(non_accrual_days=args.non_accrual_days),
            checkpoint_keys=getattr(args, "checkpoint_key", None) or checkpoint_specs_from_env(),
            checkpoint_origin=getattr(args, "checkpoint_origin", None)
            or os.environ.get(ORIGIN_ENV, "").strip()
            or DEFAULT_ORIGIN,
            read_replicas=getattr(args, "read_replica", None) or (),
            replica_max_lag=getattr(args, "replica_max_lag", 1.0),
            **_database_limits(args),
        )
    except SchemaMismatch as error:
        return _fail(f"refusing to serve: {error.message}")
    except OSError as error:
        return _fail(f"cannot listen on {args.listen}: the address is in use or not available ({error})")
    except sqlalchemy.exc.SQLAlchemyError as error:
        return _fail(f"cannot open the database: {error.__class__.__name__}: {str(error).splitlines()[0]}")
    except ValueError as error:  # an unsupported database URL, or no keys off loopback (server.auth)
        return _fail(str(error))
    return EXIT_OK


def _database_limits(args: argparse.Namespace) -> dict[str, Any]:
    """`serve`'s keyword arguments for the database time limits and start-up wait (left to the defaults of
    server.app.serve when `args` has none, as in a caller that builds its own Namespace)."""
    from ledger.db import SessionLimits

    if getattr(args, "db_lock_timeout", None) is None:
        return {}
    return {
        "db_limits": SessionLimits(
            statement_timeout=args.db_statement_timeout,
            idle_in_transaction=args.db_idle_timeout,
            lock_timeout=args.db_lock_timeout,
            lock_hold_timeout=args.db_lock_hold_timeout,
        ),
        "max_retry_seconds": args.db_retry_max_delay.total_seconds(),
    }


def token(args: argparse.Namespace) -> int:
    from clients.token_command import run

    return run(args)


def db_upgrade(args: argparse.Namespace) -> int:
    import sqlalchemy.exc

    from ledger import db
    from ledger.errors import SchemaMismatch
    from server import database

    try:
        engines = db.create_engines(args.database_url)
    except ValueError as error:
        return _fail(str(error))
    try:
        database.upgrade(engines.writer)
        current = database.current_revision(engines.writer)
    except SchemaMismatch as error:
        return _fail(error.message)
    except sqlalchemy.exc.SQLAlchemyError as error:
        return _fail(f"cannot upgrade the database: {str(error).splitlines()[0]}")
    finally:
        engines.dispose()
    Console().print(f"database at schema revision {current} (head)", highlight=False)
    return EXIT_OK


def db_revision(args: argparse.Namespace) -> int:
    import sqlalchemy.exc

    from ledger import db
    from server import database

    try:
        engines = db.create_engines(args.database_url)
    except ValueError as error:
        return _fail(str(error))
    try:
        current = database.current_revision(engines.writer)
    except sqlalchemy.exc.SQLAlchemyError as error:
        return _fail(f"cannot read the database: {str(error).splitlines()[0]}")
    finally:
        engines.dispose()
    head = database.head_revision()
    known = current is None or current in database.known_revisions()
    if args.json:
        sys.stdout.write(json.dumps({"current": current, "head": head, "up_to_date": current == head}) + "\n")
    else:
        state = "up to date" if current == head else ("UNKNOWN to this toudai" if not known else "behind")
        Console().print(f"current: {current or '(empty)'}\nhead:    {head}\n{state}", highlight=False)
    return EXIT_OK if known else EXIT_FAILED
