"""Prometheus metrics: an interceptor counting every call, and a collector for the database and chains.

Off by default; `toudai serve --metrics-listen HOST:PORT` serves them over plain HTTP on a separate port
(`/metrics`), never on the gRPC port. Each `Metrics` has its own registry, so several servers in one
process (tests) do not collide. What is exported (see docs/operations.md for what to alert on):

- `toudai_rpc_calls_total{method,status}` and `toudai_rpc_duration_seconds{method}` (histogram);
- `toudai_rpc_batch_size{method}` (histogram): transactions or accounts per batch call;
- `toudai_rows_written_total{kind}`: transactions and postings written by successful calls;
- `toudai_chain_head_sequence{book}`: each book's chain head, refreshed every `refresh_seconds`;
- `toudai_db_pool_connections{engine,state}`: the connection pools' size, checked-out and overflow;
- `toudai_reads_served_total{method,served_by}`: routed reads by who served them (`primary`,
  `replica-N`), with `--read-replica` (server.read_routing).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import grpc
import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ledger.store import Ledger
from server.handlers import HandlerInterceptor, StreamBehaviour, UnaryBehaviour, wrap_handler

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 5, 10, 50, 100, 500, 1_000, 5_000, 10_000)
_BATCH_FIELDS = ("transactions", "accounts")


def batch_size_of(request: Any) -> int | None:
    """The number of items in a batch request (transactions or accounts), or None for other calls."""
    for field in _BATCH_FIELDS:
        items = getattr(request, field, None)
        if items is not None and not isinstance(items, str | bytes):
            try:
                return len(items)
            except TypeError:
                return None
    return None


def rows_written(response: Any) -> tuple[int, int]:
    """(transactions, postings) in a successful response that carries new or replayed transactions."""
    transactions = [tx for tx in getattr(response, "transactions", ()) or () if not isinstance(tx, str)]
    descriptor = getattr(response, "DESCRIPTOR", None)
    field = descriptor.fields_by_name.get("transaction") if descriptor is not None else None
    # DealService answers carry the transaction's *name* (a string); only a message has postings.
    if field is not None and field.message_type is not None and response.HasField("transaction"):
        transactions.append(response.transaction)
    postings = sum(len(getattr(tx, "postings", ())) for tx in transactions)
    return len(transactions), postings


def _status_name(context: grpc.ServicerContext, failed: bool) -> str:
    """The status the client gets, as grpc decides it.

    A handler that returns is OK unless it set another code. A handler that raises (`failed`) ends with the
    code it aborted with or set before raising (grpc sends that code); an exception without one (a bug that
    no interceptor turned into INTERNAL, e.g. in a stream) is UNKNOWN, which is what grpc answers.
    """
    code = context.code()  # type: ignore[attr-defined]
    if code is None:
        return "UNKNOWN" if failed else "OK"
    return str(code.name) if isinstance(code, grpc.StatusCode) else str(code)


class _PoolAndChainCollector(Collector):
    """Connection pool use (read at scrape time) and the chain heads (cached, refreshed in the background)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self.heads: dict[str, int] = {}
        self.refreshed_at = 0.0

    def collect(self) -> Iterable[GaugeMetricFamily]:
        pools = GaugeMetricFamily(
            "toudai_db_pool_connections", "Database connection pool use", labels=["engine", "state"]
        )
        engines = self._ledger.engines
        named = [("writer", engines.writer)]
        if engines.reader is not engines.writer:
            named.append(("reader", engines.reader))
        for name, engine in named:
            pool: Any = engine.pool
            for state, reader in (("size", "size"), ("checked_out", "checkedout"), ("overflow", "overflow")):
                if callable(getattr(pool, reader, None)):
                    pools.add_metric([name, state], float(getattr(pool, reader)()))
        yield pools
        heads = GaugeMetricFamily(
            "toudai_chain_head_sequence", "Sequence number of each book's chain head", labels=["book"]
        )
        for book, seq in sorted(self.heads.items()):
            heads.add_metric([book], float(seq))
        yield heads
        yield GaugeMetricFamily(
            "toudai_chain_heads_refreshed_timestamp_seconds",
            "When the chain heads were last read from the database (0: never)",
            value=self.refreshed_at,
        )

    def refresh(self) -> None:
        self.heads = {book: seq for book, seq, _hash in self._ledger.book_heads()}
        self.refreshed_at = time.time()


class Metrics:
    """The metrics of one server: its registry, the interceptor feeding it, and the HTTP endpoint."""

    def __init__(self, ledger: Ledger, *, refresh_seconds: float = 15.0) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.calls = Counter(
            "toudai_rpc_calls", "RPCs by method and final status", ["method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "toudai_rpc_duration_seconds",
            "RPC latency by method",
            ["method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_sizes = Histogram(
            "toudai_rpc_batch_size",
            "Items (transactions or accounts) per batch call",
            ["method"],
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.rows = Counter(
            "toudai_rows_written", "Rows returned as written by successful calls", ["kind"], registry=self.registry
        )
        self.reads_served = Counter(
            "toudai_reads_served",
            "Routed reads by method and the database that served them (primary, replica-N; --read-replica)",
            ["method", "served_by"],
            registry=self.registry,
        )
        self._collector = _PoolAndChainCollector(ledger)
        self.registry.register(self._collector)
        self._refresh_seconds = refresh_seconds
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None
        self._http: Any = None

    def interceptor(self) -> grpc.ServerInterceptor:
        return MetricsInterceptor(self)

    def read_served(self, method: str, served_by: str) -> None:
        """Count a routed read (server.read_routing calls this)."""
        self.reads_served.labels(method, served_by).inc()

    def refresh_chain_heads(self) -> None:
        try:
            self._collector.refresh()
        except Exception:
            log.warning("could not refresh the chain-head metrics; will try again", exc_info=True)

    def start(self, listen: str) -> int:
        """Serve /metrics on `listen` (HOST:PORT; port 0 picks one) and refresh the chain heads; the bound port."""
        host, _, port = listen.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        server, _thread = prometheus_client.start_http_server(int(port), addr=host, registry=self.registry)
        self._http = server
        self._refresher = threading.Thread(target=self._refresh_loop, name="toudai-metrics", daemon=True)
        self._refresher.start()
        return int(server.server_address[1])

    def _refresh_loop(self) -> None:
        self.refresh_chain_heads()
        while not self._stop.wait(self._refresh_seconds):
            self.refresh_chain_heads()

    def stop(self) -> None:
        self._stop.set()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def observe(self, method: str, status: str, seconds: float, request: Any, response: Any) -> None:
        self.calls.labels(method, status).inc()
        self.latency.labels(method).observe(seconds)
        size = batch_size_of(request)
        if size is not None:
            self.batch_sizes.labels(method).observe(size)
        if status == "OK" and response is not None:
            transactions, postings = rows_written(response)
            if transactions and _writes(method):
                self.rows.labels("transactions").inc(transactions)
                self.rows.labels("postings").inc(postings)


def _writes(method: str) -> bool:
    name = method.rsplit("/", 1)[-1]
    return name.startswith(("Post", "Reverse", "Capture", "Approve", "Execute", "Settle", "Disburse", "Book"))


def _observe_safely(
    metrics: Metrics,
    method: str,
    context: grpc.ServicerContext,
    failed: bool,
    started: float,
    request: Any,
    response: Any,
    status: str | None = None,
) -> None:
    """Count a call; a failure of the bookkeeping is logged and never changes the call's answer.

    `status` overrides the one read from the context (a stream the client abandoned is CANCELLED).
    """
    try:
        name = status or _status_name(context, failed)
        metrics.observe(method, name, time.perf_counter() - started, request, response)
    except Exception:
        log.exception("could not record the metrics of a call to %s; the call's answer is unaffected", method)


class MetricsInterceptor(HandlerInterceptor):
    """Counts and times every call (unary and server-streaming) by method and final status."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def wrap(
        self, handler: grpc.RpcMethodHandler[Any, Any], details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method = details.method
        return wrap_handler(
            handler,
            unary=lambda unary: self._counted_unary(method, unary),
            stream=lambda streaming: self._counted_stream(method, streaming),
        )

    def _counted_unary(self, method: str, unary: UnaryBehaviour) -> UnaryBehaviour:
        metrics = self._metrics

        def unary_wrapped(request: Any, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            response = None
            failed = True
            try:
                response = unary(request, context)
                failed = False
                return response
            finally:
                _observe_safely(metrics, method, context, failed, started, request, response)

        return unary_wrapped

    def _counted_stream(self, method: str, streaming: StreamBehaviour) -> StreamBehaviour:
        metrics = self._metrics

        def stream_wrapped(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            started = time.perf_counter()
            failed = True
            abandoned = False
            try:
                yield from streaming(request, context)
                failed = False
            except GeneratorExit:  # grpc stopped reading: the client cancelled or went away
                abandoned = True
                raise
            finally:
                _observe_safely(
                    metrics, method, context, failed, started, request, None, "CANCELLED" if abandoned else None
                )

        return stream_wrapped
