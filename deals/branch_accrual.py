"""Accruing every open loan of a branch through a date in one unit of work (月末批量计提).

A month-end close accrues interest on every loan a branch holds. One AccrueInterest call per loan costs a
unit of work each and, inside it, about twenty database round trips (the deal's row, its request id, its
last event, its steps and payments for the non-accrual check, its balance, the posting, the event); at
100,000 loans that is most of the close (docs/performance.md, "Issue 20: month-end close"). Here the
branch's loans are read with a handful of queries (rows, steps, payments, balances, the last event
numbers), each loan's accrual is worked out in memory with the same arithmetic as the per-deal step
(deals.accrual, deals.credit.arrears), every accrual is posted in one `session.post`, and the deals'
rows and events are written with one statement each.

What each loan gets is exactly what `DealDesk.accrue_interest` would give it with the request id
`{key}#{deal}`: the same journal entry (its ledger request id, date, amounts, metadata), the same accrual
state on the deal and the same "accrued" event (amounts, fingerprint); tests/integration/
test_branch_accrual.py compares the two paths' postings on SQLite and PostgreSQL, including loans whose
accrual crosses into non-accrual in the run (their first day more than the policy's threshold past due
falls inside the accrued days): for those the receivables to move off the books are read once for all of
them, and what the accrual before that day adds is added in memory, in the per-deal step's order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from deals import accounting
from deals import schema as ds
from deals.accrual import AccrualState, accrue
from deals.credit.arrears import ArrearsBook, dues_of
from deals.credit.classification import Policy
from deals.credit.facts import chunks, read_branch_facts
from deals.model import DealStatus, deal_accounts, deal_meta, event_row, ledger_request
from deals.names import DEAL_ID_MAX
from deals.queries import decoded_terms
from deals.steps import ACCRUAL_COLUMNS, accrual_columns, accrual_state_of, calendar_covers, event_details
from ledger.canonical import fingerprint
from ledger.errors import request_id_reused
from ledger.session import LedgerSession

__all__ = ["BranchAccrual", "accrue_branch", "deal_request_id"]

ACCRUING = (DealStatus.DISBURSED.value, DealStatus.REPAYING.value)


@dataclass(frozen=True, slots=True)
class BranchAccrual:
    """What a branch accrual did (money in fen).

    `deals`: the loans accrued (each has an "accrued" event with request id `{key}#{deal}`, zero amounts
    if it was already accrued through the date); `later`: loans already accrued past the date, left as
    they are (accruing them through an earlier date would be refused as a late event); `non_accrual`: loans
    this call put on non-accrual. `interest` and `subsidy` are recognised interest and its subsidised part,
    `off_balance` the interest tracked off balance sheet; `transactions` counts the journal entries posted.
    `replayed` is True when the request id had been used before: the figures are the first call's."""

    branch: str
    through: dt.date
    deals: int
    later: int
    non_accrual: int
    interest: int
    subsidy: int
    off_balance: int
    transactions: int
    replayed: bool = False


def deal_key(request_id: str) -> str:
    """The prefix of the per-deal request ids: the request id itself when `{request_id}#{deal}` fits the
    128 characters of a request id, else a digest of it."""
    if len(request_id) + 1 + DEAL_ID_MAX <= 128:
        return request_id
    return "branch-accrual-" + hashlib.sha256(request_id.encode()).hexdigest()[:48]


def deal_request_id(request_id: str, deal_id: str) -> str:
    """The request id under which a branch accrual records its step on one deal."""
    return f"{deal_key(request_id)}#{deal_id}"


def step_fingerprint(deal_id: str, through: dt.date) -> str:
    """What `DealDesk.accrue_interest` fingerprints for the same accrual (a retry of either is a replay)."""
    return fingerprint({"deal": deal_id, "kind": "accrued", "through": through.isoformat()})


def accrue_branch(
    session: LedgerSession,
    *,
    request_id: str,
    branch: str,
    through: dt.date,
    policy: Policy,
) -> BranchAccrual:
    """Accrue every open loan of `branch` through `through` inside the caller's unit of work (module
    docstring)."""
    conn = session.connection
    prefix = deal_key(request_id) + "#"
    e = ds.deal_events
    recorded = conn.execute(
        sa.select(e.c.deal_id, e.c.fingerprint, e.c.details_json, e.c.transaction_id).where(
            e.c.scope == branch, e.c.request_id.startswith(prefix, autoescape=True)
        )
    ).all()
    if recorded:
        return _replay(request_id, branch, through, recorded)
    rows = conn.execute(
        sa.select(ds.deals)
        .where(ds.deals.c.branch == branch, ds.deals.c.status.in_(ACCRUING))
        .order_by(ds.deals.c.id)
        .with_for_update()
    ).all()
    if not rows:
        return BranchAccrual(branch, through, 0, 0, 0, 0, 0, 0, 0)
    terms = {row.id: decoded_terms(row.terms_json) for row in rows}
    session.lock_books(sorted({party for t in terms.values() for party in t.parties()}))
    to = through + dt.timedelta(days=1)
    later = {row.id for row in rows if row.accrued_to is not None and through < row.accrued_to - dt.timedelta(days=1)}
    rows = [row for row in rows if row.id not in later]
    for row in rows:
        if to > row.accrued_to:  # as the per-deal step: only a loan that accrues needs its payment dates known
            calendar_covers(row.id, terms[row.id], to)
    facts = read_branch_facts(conn, branch, through, floors=False)
    seqs = _next_seqs(conn, branch)
    loans = {row.id: deal_accounts(row.id, terms[row.id]).deal_account(branch, "loans") for row in rows}
    balances: dict[str, Any] = {}
    for part in chunks(list(loans.values())):
        balances.update(session.balances(part))
    specs: list[Any] = []
    posts_of: list[str] = []  # the deal of each spec
    plans: list[tuple[Any, AccrualState, dict[str, int]]] = []
    entering: list[tuple[Any, AccrualState, dt.date]] = []  # loans entering non-accrual, from that day
    for row in rows:
        deal_terms = terms[row.id]
        state = accrual_state_of(row)
        amounts = {"accrued": 0, "accrued_subsidy": 0}
        if to > state.accrued_to:
            if row.non_accrual_since is None:
                disbursed_on = facts.steps_of(row.id)["disbursed"]
                payments = facts.payments_of(row.id)
                arrears = ArrearsBook(dues_of(deal_terms, disbursed_on, payments, until=to), payments)
                start = arrears.non_accrual_from(state.accrued_to, to, policy.non_accrual_days)
                if start is not None:
                    entering.append((row, state, start))
                    continue
            principal = balances[loans[row.id]].balance
            state, accrued = accrue(state, to, principal, deal_terms.loan, deal_terms.subsidy)
            accounts = deal_accounts(row.id, deal_terms)
            step_request = deal_request_id(request_id, row.id)
            meta = deal_meta(row.id, "", step_request)
            day = to - dt.timedelta(days=1)
            if row.non_accrual_since is None:
                if accrued.interest:
                    ledger = ledger_request(row.id, seqs.get(row.id, 1), 0)
                    specs.append(accounting.accrue(accounts, ledger, day, accrued.borrower, accrued.subsidy, meta))
                    posts_of.append(row.id)
                amounts = {"accrued": accrued.interest, "accrued_subsidy": accrued.subsidy}
            else:
                if accrued.borrower:
                    ledger = ledger_request(row.id, seqs.get(row.id, 1), 0)
                    specs.append(accounting.accrue_off_balance(accounts, ledger, day, accrued.borrower, meta))
                    posts_of.append(row.id)
                amounts["accrued_off_balance"] = accrued.borrower
                amounts["subsidy_forgone"] = accrued.subsidy
        plans.append((row, state, amounts))
    if entering:
        _enter_non_accrual(session, request_id, to, entering, terms, balances, loans, seqs, specs, posts_of, plans)
    posted: dict[str, list[Any]] = {}
    if specs:
        result = session.post(specs)
        for deal_id, txn in zip(posts_of, result.transactions, strict=True):
            posted.setdefault(deal_id, []).append(txn.id)
    now = session.now()
    if plans:
        _write(conn, branch, request_id, through, plans, seqs, posted, now)
    if entering:  # as the per-deal step records it on the deal
        d = ds.deals
        conn.execute(
            d.update().where(d.c.id == sa.bindparam("deal")).values(non_accrual_since=sa.bindparam("since")),
            [{"deal": row.id, "since": start} for row, _, start in entering],
        )
    every = [amounts for _, _, amounts in plans]
    return BranchAccrual(
        branch,
        through,
        deals=len(every),
        later=len(later),
        non_accrual=len(entering),
        interest=sum(a.get("accrued", 0) for a in every),
        subsidy=sum(a.get("accrued_subsidy", 0) for a in every),
        off_balance=sum(a.get("accrued_off_balance", 0) for a in every),
        transactions=len(specs),
    )


def _enter_non_accrual(
    session: LedgerSession,
    request_id: str,
    to: dt.date,
    entering: Sequence[tuple[Any, AccrualState, dt.date]],
    terms: dict[str, Any],
    balances: dict[str, Any],
    loans: dict[str, str],
    seqs: dict[str, int],
    specs: list[Any],
    posts_of: list[str],
    plans: list[tuple[Any, AccrualState, dict[str, int]]],
) -> None:
    """Loans whose accrual crosses into non-accrual: what `StepContext.accrue_to` posts for them, in its order
    (deals.steps): the days before `start` on the books, then (from `start`) the subsidy receivable reversed
    and the unpaid interest moved to the memo pair, then the days from `start` off balance sheet. The
    receivables are read once for all of them, and what the first accrual adds is added in memory."""
    accounts = {row.id: deal_accounts(row.id, terms[row.id]) for row, _, _ in entering}
    receivables = [
        accounts[row.id].deal_account(accounts[row.id].branch, key)
        for row, _, _ in entering
        for key in ("interest-receivable", "subsidy-receivable")
    ]
    found: dict[str, Any] = {}
    for part in chunks(receivables):
        found.update(session.balances(part))
    session.open_accounts(
        [
            (p.party, p.code, p.type, p.commodity, p.guarded, p.display_name)
            for row, _, _ in entering
            for p in accounts[row.id].off_balance_plan()
        ]
    )
    for row, state, start in entering:
        deal_terms, a = terms[row.id], accounts[row.id]
        meta = deal_meta(row.id, "", deal_request_id(request_id, row.id))
        seq = seqs.get(row.id, 1)
        own: list[Any] = []  # this loan's entries, numbered in order as the per-deal step numbers them
        principal = balances[loans[row.id]].balance
        interest = found[a.deal_account(a.branch, "interest-receivable")].balance
        subsidy = found[a.deal_account(a.branch, "subsidy-receivable")].balance
        amounts = {"accrued": 0, "accrued_subsidy": 0}
        if start > state.accrued_to:
            state, on = accrue(state, start, principal, deal_terms.loan, deal_terms.subsidy)
            if on.interest:
                day = start - dt.timedelta(days=1)
                own.append(accounting.accrue(a, ledger_request(row.id, seq, 0), day, on.borrower, on.subsidy, meta))
            amounts["accrued"] += on.interest
            amounts["accrued_subsidy"] += on.subsidy
            interest += on.borrower
            subsidy += on.subsidy
        if subsidy:
            own.append(accounting.reverse_subsidy(a, ledger_request(row.id, seq, len(own)), start, subsidy, meta))
        if interest:
            own.append(accounting.enter_non_accrual(a, ledger_request(row.id, seq, len(own)), start, interest, meta))
        amounts["non_accrual_interest"] = interest
        amounts["non_accrual_subsidy_reversed"] = subsidy
        state, off = accrue(state, to, principal, deal_terms.loan, deal_terms.subsidy)
        if off.borrower:
            day = to - dt.timedelta(days=1)
            request = ledger_request(row.id, seq, len(own))
            own.append(accounting.accrue_off_balance(a, request, day, off.borrower, meta))
        amounts["accrued_off_balance"] = off.borrower
        amounts["subsidy_forgone"] = off.subsidy
        specs.extend(own)
        posts_of.extend([row.id] * len(own))
        plans.append((row, state, amounts))


def _next_seqs(conn: sa.Connection, branch: str) -> dict[str, int]:
    """Each of the branch's deals' next event number (deals.records.next_seq, for all at once)."""
    e = ds.deal_events
    of_branch = sa.select(ds.deals.c.id).where(ds.deals.c.branch == branch).scalar_subquery()
    rows = conn.execute(
        sa.select(e.c.deal_id, sa.func.max(e.c.seq)).where(e.c.deal_id.in_(of_branch)).group_by(e.c.deal_id)
    ).all()
    return {deal_id: int(last or 0) + 1 for deal_id, last in rows}


def _write(
    conn: sa.Connection,
    branch: str,
    request_id: str,
    through: dt.date,
    plans: Sequence[tuple[Any, AccrualState, dict[str, int]]],
    seqs: dict[str, int],
    posted: dict[str, list[Any]],
    now: dt.datetime,
) -> None:
    """The deals' new accrual state and their "accrued" events, one statement each, as the per-deal step
    writes them (deals.step_runner.StepRunner._run). The bound parameters are named `new_<column>`:
    SQLAlchemy refuses a bind parameter named as a column the statement sets."""
    d = ds.deals
    columns = {"status": "new_status", "updated_at": "now"} | {c: f"new_{c}" for c in ACCRUAL_COLUMNS}
    conn.execute(
        d.update().where(d.c.id == sa.bindparam("deal")).values({c: sa.bindparam(p) for c, p in columns.items()}),
        [
            {"deal": row.id, "new_status": row.status, "now": now}
            | {f"new_{c}": v for c, v in accrual_columns(state).items()}
            for row, state, _ in plans
        ],
    )
    events = []
    for row, _, amounts in plans:
        transactions = posted.get(row.id, [])
        transaction = transactions[0] if transactions else None
        details = event_details(amounts, transactions)
        events.append(
            event_row(
                row.id,
                seqs.get(row.id, 1),
                "accrued",
                deal_request_id(request_id, row.id),
                step_fingerprint(row.id, through),
                through,
                transaction,
                details,
                now,
                branch,
            )
        )
    conn.execute(ds.deal_events.insert(), events)


def _replay(request_id: str, branch: str, through: dt.date, recorded: Sequence[Any]) -> BranchAccrual:
    """The first call's figures from its recorded events; another date under the same id is refused."""
    every = []
    for deal_id, print_, details_json, _ in recorded:
        if print_ != step_fingerprint(deal_id, through):
            raise request_id_reused(request_id)
        every.append(json.loads(details_json))
    return BranchAccrual(
        branch,
        through,
        deals=len(every),
        later=0,
        non_accrual=sum(1 for d in every if "non_accrual_interest" in d),
        interest=sum(int(d.get("accrued", 0)) for d in every),
        subsidy=sum(int(d.get("accrued_subsidy", 0)) for d in every),
        off_balance=sum(int(d.get("accrued_off_balance", 0)) for d in every),
        transactions=sum(len([t for t in d.get("transactions", "").split(",") if t]) for d in every),
        replayed=True,
    )
