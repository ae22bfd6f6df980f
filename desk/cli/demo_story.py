"""The demo's narrative: every step is a real service call; this module only prints."""

from __future__ import annotations

import time
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from desk.bootstrap import Runtime
from desk.demo_data import INSTRUMENTS_CSV
from desk.domain.approval_model import RequestState
from desk.domain.clock import IST
from desk.server import DeskServer
from desk.services import approvals, audit, proposals
from desk.services.demo import seed_demo
from desk.services.ports.events import DomainEvent


def _rupees(paise: int | None) -> str:
    return "-" if paise is None else f"₹{Decimal(paise) / 100:,.2f}"


def tell(rt: Runtime, console: Console, replay: str) -> bool:
    started = time.perf_counter()
    console.rule(f"[bold]Desk demo[/bold] — embedded DuckDB at {rt.settings.home}")
    console.print(f"[dim]desk time {rt.clock.now().astimezone(IST):%a %d %b %H:%M} IST "
                  "(moved into market hours when the market is closed)[/dim]")  # fmt: skip
    server = DeskServer(rt)  # the service's wiring, not started: no loop, no bot
    try:
        return _tell(rt, console, replay, server, started)
    finally:
        server.stop()


def _tell(rt: Runtime, console: Console, replay: str, server: DeskServer, started: float) -> bool:
    venue, dispatcher = server.paper, server.dispatcher

    def show(event: DomainEvent) -> None:
        if event.topic == "run.event":
            kind = str(event.data.get("kind"))
            console.print(f"  [dim]run event {event.data.get('seq'):>3}[/dim] {kind}")

    unsubscribe = rt.events.subscribe(show)
    try:
        console.print("[bold]1.[/bold] users, tokens and the agent (quorum 2, paper) — "
                      "promoted from draft to paper by two approvals")  # fmt: skip
        console.print(f"[bold]2.[/bold] replaying the recorded research run [cyan]{replay}[/cyan]:")
        seed = seed_demo(
            rt, server.engine, replay=replay, instruments_csv=INSTRUMENTS_CSV.read_text(),
            proposals=server.sink,
        )  # fmt: skip
    finally:
        unsubscribe()
    run = seed.run
    console.print(
        f"   run {run.id[:8]} {run.status.value}: {run.steps} steps, "
        f"{run.prompt_tokens + run.completion_tokens} tokens, ${run.cost_usd:.4f}"
    )
    console.print(f"   [italic]{(run.result_text or '').strip()[:300]}[/italic]")
    found, _ = proposals.list_proposals(rt, seed.owner, run_id=run.id)
    table = Table(title="3. proposals and pre-trade risk", title_justify="left")
    for column in ("instrument", "side", "qty", "value", "status", "checks"):
        table.add_column(column)
    for p in found:
        failed = [c["name"] for c in p.failed_checks]
        checks = f"{len(p.risk) - len(failed)}/{len(p.risk)} passed"
        if failed:
            checks += f" ({', '.join(failed)})"
        table.add_row(
            p.instrument, p.side, str(p.quantity), _rupees(p.value_paise), p.status.value, checks
        )
    console.print(table)
    queue = approvals.queue(rt, seed.approvers[0])
    console.print(
        f"[bold]4.[/bold] {len(queue)} request(s) wait for asha and vikram; both approve:"
    )
    for detail in queue:
        for approver, reason in zip(
            seed.approvers, ("evidence checks out", "size is fine"), strict=True
        ):
            result = approvals.decide(rt, approver, detail.request.id, "approve", reason)
            console.print(
                f"   {approver.label} approved {detail.request.id[:8]} → {result.outcome.value}"
            )
    dispatcher.drain()
    table = Table(title="5. execution on the paper broker", title_justify="left")
    for column in ("request", "state", "order", "status", "avg price"):
        table.add_column(column)
    all_done = True
    for detail in queue:
        current = approvals.get_request(rt, seed.owner, detail.request.id).request
        tag = _tag(detail.request.id)
        order = next((o for o in venue.broker.orders() if o.tag == tag), None)
        all_done &= current.state is RequestState.EXECUTED
        table.add_row(
            current.id[:8],
            current.state.value,
            order.order_id[:12] if order else "-",
            order.status.value if order else "-",
            str(order.average_price) if order and order.average_price else "-",
        )
    console.print(table)
    verified = audit.verify(rt)
    console.print(f"[bold]6.[/bold] {verified.describe()}")
    ok = verified.ok and run.status.value == "completed" and bool(queue) and all_done
    status = "[green]demo finished[/green]" if ok else "[red]demo failed[/red]"
    console.print(f"{status} in {time.perf_counter() - started:.1f}s — tokens for the API: "
                  + ", ".join(f"{u}={t[:9]}…" for u, t in seed.tokens.items()))  # fmt: skip
    return ok


def _tag(request_id: str) -> str:
    from desk.domain.execution import derive_tag, execution_key

    return derive_tag(execution_key(request_id))
