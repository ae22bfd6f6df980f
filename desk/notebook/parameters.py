"""Checking papermill parameters against a notebook's ``parameters`` cell before it runs.

The cell declares every parameter as a literal; a trailing comment starting with
``required`` marks the ones a scheduled (papermill) run must pass, e.g.
``agent_id = None  # required: the agent to run``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desk.domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    default: str
    type_name: str
    help: str

    @property
    def required(self) -> bool:
        return self.help.strip().lower().startswith("required")


def declared_parameters(notebook: Path) -> dict[str, Parameter]:
    """The parameters cell of ``notebook`` (papermill's own parser); error when it has none."""
    import papermill

    if not notebook.is_file():
        raise ValidationError(f"no notebook at {notebook}", fields={"notebook": "not found"})
    found = papermill.inspect_notebook(str(notebook))
    if not found:
        raise ValidationError(
            f"{notebook.name} has no cell tagged 'parameters'", fields={"notebook": "no parameters"}
        )
    return {
        name: Parameter(
            name, str(p.get("default")), str(p.get("inferred_type_name")), str(p.get("help") or "")
        )
        for name, p in found.items()
    }


def check_parameters(notebook: Path, given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` when every name is declared and every required one is present (not None).

    Raises one ValidationError naming every unknown and every missing parameter, so nothing
    runs with a typo'd name silently ignored.
    """
    declared = declared_parameters(notebook)
    problems: dict[str, str] = {}
    for name in given:
        if name not in declared:
            problems[name] = f"unknown parameter; {notebook.name} declares: {', '.join(declared)}"
    for name, param in declared.items():
        if param.required and given.get(name) is None:
            problems[name] = f"missing required parameter ({param.help.strip()})"
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"bad parameters for {notebook.name} — {summary}", fields=problems)
    return dict(given)
