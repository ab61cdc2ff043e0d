"""Consent: a person approves a plugin's capabilities before its first run.

The first spawn of a plugin (by anyone) shows what it asks for and waits for a
person on the kernel's approval queue (``approval.respond``, ``aios approvals``, or
``aios agents run`` asking on the terminal); its process is WAITING on "approval"
and none of its code has run. Approved: remembered in the database per (name,
version, capabilities). A later version, or the same one, that asks for nothing
more than an approved one runs without asking (``Capabilities.excess_over``); one
that asks for more asks again. Denied or timed out: the process FAILED, nothing of
the plugin ran (the denial is recorded; the next spawn asks again).

Agents shipped with aios and agents registered in-process by the kernel's owner need
no consent.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from aios.errors import AiosError
from aios.kernel.approvals import ApprovalDenied, ApprovalState
from aios.kernel.caps import Capabilities
from aios.tools.risk import Risk

if TYPE_CHECKING:
    from aios.agents.manifest import Plugin
    from aios.kernel.kernel import Kernel
    from aios.kernel.process import Process

__all__ = ["CONSENT_SYSCALL", "ConsentBook", "ConsentDenied", "ensure_consent"]

log = logging.getLogger(__name__)

CONSENT_SYSCALL = "agent.consent"  # the approval's syscall: what the CLI looks for
APPROVED, DENIED = "approved", "denied"


class ConsentDenied(ApprovalDenied):
    """A person did not approve a plugin's first run (denied, or no answer in time)."""


class _Base(DeclarativeBase):
    pass


class ConsentRow(_Base):
    __tablename__ = "plugin_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(64))
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[float] = mapped_column(Float)
    origin: Mapped[str] = mapped_column(String(1000), default="")
    in_process: Mapped[bool] = mapped_column(Boolean, default=True)


@dataclass(frozen=True)
class Decision:
    version: str
    capabilities: Capabilities
    decision: str
    decided_by: str
    decided_at: float
    origin: str = ""
    in_process: bool = True  # approved to run in the daemon (else only confined)


class ConsentBook:
    """The remembered decisions, on the kernel's database (read and written off the
    event loop)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ready = False
        self._making = threading.Lock()  # two first runs at once: one CREATE TABLE

    def _session(self) -> Session:
        if not self._ready:
            with self._making:
                if not self._ready:
                    _Base.metadata.create_all(self._engine)
                    self._ready = True
        return Session(self._engine, expire_on_commit=False)

    def decisions(self, name: str) -> list[Decision]:
        """Newest first."""
        q = select(ConsentRow).where(ConsentRow.name == name).order_by(ConsentRow.id.desc())
        with self._session() as s:
            rows = list(s.scalars(q.limit(1000)))
        out = []
        for r in rows:
            try:
                caps = Capabilities.model_validate(r.capabilities)
            except ValueError:  # written by another version of aios: ask again
                continue
            out.append(
                Decision(
                    r.version, caps, r.decision, r.decided_by, r.decided_at, r.origin, r.in_process
                )
            )
        return out

    def record(
        self,
        name: str,
        version: str,
        caps: Capabilities,
        decision: str,
        by: str,
        origin: str = "",
        in_process: bool = True,
    ) -> None:
        with self._session() as s, s.begin():
            s.add(
                ConsentRow(
                    origin=origin[:1000],
                    in_process=in_process,
                    name=name,
                    version=version,
                    capabilities=caps.model_dump(mode="json"),
                    decision=decision,
                    decided_by=by[:200],
                    decided_at=time.time(),
                )
            )

    def state(
        self,
        name: str,
        version: str,
        caps: Capabilities,
        is_host: Callable[[str], bool] | None = None,
        origin: str = "",
        in_process: bool = True,
    ) -> tuple[str, Decision | None]:
        """("approved", the covering decision), ("denied", the last denial of this
        version) or ("required", the last approval, if any, to compare with). Only
        decisions about the plugin from the same ``origin`` count: another plugin
        that takes the name (another folder, a package) is asked about anew. An
        approval to run confined (isolated) does not cover running in the daemon."""
        decisions = [d for d in self.decisions(name) if d.origin == origin]
        for d in decisions:
            if (
                d.decision == APPROVED
                and (d.in_process or not in_process)
                and not caps.excess_over(d.capabilities, is_host)
            ):
                return APPROVED, d
        for d in decisions:
            if (
                d.decision == DENIED
                and d.version == version
                and d.capabilities == caps
                and d.in_process == in_process
            ):
                return DENIED, d
        last = next((d for d in decisions if d.decision == APPROVED), None)
        return "required", last


def consent_book(k: Kernel) -> ConsentBook:
    """The kernel's book, made on first use."""
    book: ConsentBook | None = k.__dict__.get("_consents")
    if book is None:
        book = k.__dict__["_consents"] = ConsentBook(k.store.engine)
    return book


def shown(caps: Capabilities) -> dict[str, Any]:
    """The capabilities as a person reads them (the defaults left out)."""
    return caps.model_dump(mode="json", exclude_defaults=False)


def origin(plugin: Plugin) -> str:
    """Where a plugin comes from: its folder, or its package."""
    if plugin.folder is not None:
        return f"folder:{plugin.folder.resolve()}"
    return plugin.source


async def ensure_consent(
    k: Kernel, proc: Process, plugin: Plugin, caps: Capabilities, *, isolated: bool = False
) -> None:
    """Return once a person has approved ``plugin`` with ``caps`` (now or before),
    to run confined (``isolated``) or in the daemon's process; raise ConsentDenied
    otherwise. ``proc`` waits on "approval" meanwhile."""
    if plugin.builtin:
        return
    book = consent_book(k)
    is_host = k.tools.is_host
    where, in_process = origin(plugin), not isolated
    state, prior = await asyncio.to_thread(
        book.state, plugin.name, plugin.version, caps, is_host, where, in_process
    )
    if state == APPROVED:
        return
    new = caps.excess_over(prior.capabilities, is_host) if prior is not None else None
    if prior is not None and in_process and not prior.in_process:
        new = [*(new or []), "in-process (approved before: isolated only)"]
    if prior is None:
        summary = f"first run of plugin {plugin.name} {plugin.version}"
    else:
        summary = (
            f"plugin {plugin.name} {plugin.version} asks for more than version "
            f"{prior.version} was approved for: {', '.join(new or [])}"
        )[:500]
    details = {
        "plugin": plugin.name,
        "version": plugin.version,
        "description": plugin.description,
        "source": plugin.source,
        "isolated": isolated,  # this run's: "in-process" is the daemon's own process
        "capabilities": shown(caps),
        # programs it brings, run confined with the daemon (shown: they are its code too)
        "mcp_servers": [
            {"name": m.name, "command": m.command}
            for m in (plugin.manifest.mcp_servers if plugin.manifest is not None else [])
        ],
        "approved_before": None if prior is None else prior.version,
        "new": new,
    }
    try:
        async with k.io_wait(proc, "approval"):
            item = await k.approvals.ask(
                pid=proc.pid,
                process=proc.name,
                syscall=CONSENT_SYSCALL,
                tool=None,
                args=details,
                risk=Risk(),
                rule="plugin consent",
                summary=summary,
            )
    except ApprovalDenied as exc:
        why = "was not answered in time" if exc.details.get("state") == "expired" else ""
        if not why:
            why = "was denied"
            by = _decided_by(k, exc.details.get("approval"))
            await asyncio.to_thread(
                book.record, plugin.name, plugin.version, caps, DENIED, by, where, in_process
            )
        log.info("plugin %s %s: consent %s", plugin.name, plugin.version, why)
        raise ConsentDenied(
            f"consent to run plugin {plugin.name} {plugin.version} {why}; none of its code ran",
            plugin=plugin.name,
            version=plugin.version,
            approval=exc.details.get("approval"),
        ) from None
    by = item.decided_by or "?"
    await asyncio.to_thread(
        book.record, plugin.name, plugin.version, caps, APPROVED, by, where, in_process
    )
    log.info("plugin %s %s approved by %s", plugin.name, plugin.version, by)
    _answer_the_same(k, plugin, caps, by, in_process)


def _answer_the_same(
    k: Kernel, plugin: Plugin, caps: Capabilities, by: str, in_process: bool
) -> None:
    """Other first runs of the plugin asked meanwhile: what was just approved covers
    them, so they go on (each process asked its own question, so each is visible)."""
    for a in k.approvals.list(state=ApprovalState.PENDING, limit=10_000):
        d = a.args if isinstance(a.args, dict) else {}
        if a.syscall != CONSENT_SYSCALL or d.get("plugin") != plugin.name:
            continue
        if not d.get("isolated") and not in_process:
            continue  # approved to run confined: not to run in the daemon
        try:
            asked = Capabilities.model_validate(d.get("capabilities"))
        except ValueError:
            continue
        if not asked.excess_over(caps, k.tools.is_host):
            k.approvals.respond(a.id, "approve", by=by, note="covered by approval of the same")


def _decided_by(k: Kernel, approval: Any) -> str:
    try:
        return k.approvals.get(int(approval)).decided_by or "?"
    except (TypeError, ValueError, AiosError):
        return "?"
