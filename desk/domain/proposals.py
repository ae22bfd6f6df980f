"""Stored trade proposals: what was proposed, every risk check, and where it went.

A proposal that fails any pre-trade check is stored ``blocked`` with every failed check and
its reason (never dropped); one that passes is ``submitted`` and becomes a trade approval
request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class ProposalStatus(StrEnum):
    BLOCKED = "blocked"
    SUBMITTED = "submitted"


@dataclass(frozen=True, slots=True)
class ProposalRecord:
    id: str
    agent_id: str
    run_id: str | None
    proposer_id: str
    status: ProposalStatus
    instrument: str
    side: str
    quantity: int
    value_paise: int | None
    ltp_at_creation: Decimal | None
    proposal: dict[str, Any]  # the parsed fields, JSON-safe, plus evidence and provenance
    risk: tuple[dict[str, Any], ...]  # every check: name, passed, message
    request_id: str | None
    created_at: datetime

    @property
    def failed_checks(self) -> tuple[dict[str, Any], ...]:
        return tuple(c for c in self.risk if not c.get("passed"))
