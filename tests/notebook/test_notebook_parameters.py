"""Papermill parameter checks against a notebook's parameters cell."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from desk.domain.errors import ValidationError
from desk.notebook.parameters import check_parameters, declared_parameters

ANALYSIS = Path(__file__).resolve().parents[2] / "notebooks" / "20_analysis.ipynb"


def notebook(tmp_path: Path, source: str | None) -> Path:
    nb = nbformat.v4.new_notebook()
    if source is not None:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells.append(nbformat.v4.new_code_cell("print(agent_id)"))
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P"}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_analysis_template_declares_what_the_flow_passes() -> None:
    declared = declared_parameters(ANALYSIS)
    assert set(declared) == {
        "agent_id", "query", "run_mode", "replay", "run_id", "desk_home", "user",
        "artifact_path", "report_path",
    }  # fmt: skip
    assert [n for n, p in declared.items() if p.required] == ["agent_id"]


def test_unknown_and_missing_parameters_are_named_together(tmp_path: Path) -> None:
    path = notebook(tmp_path, 'agent_id = None  # required: the agent\nmode = "replay"')
    with pytest.raises(ValidationError) as info:
        check_parameters(path, {"mdoe": "live"})
    assert set(info.value.fields) == {"mdoe", "agent_id"}
    assert "unknown parameter" in info.value.fields["mdoe"]
    assert "missing required" in info.value.fields["agent_id"]


def test_good_parameters_pass_through(tmp_path: Path) -> None:
    path = notebook(tmp_path, 'agent_id = None  # required: the agent\nmode = "replay"')
    assert check_parameters(path, {"agent_id": "a1"}) == {"agent_id": "a1"}


def test_a_notebook_without_parameters_cell_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no cell tagged 'parameters'"):
        check_parameters(notebook(tmp_path, None), {})
    with pytest.raises(ValidationError, match="no notebook"):
        check_parameters(tmp_path / "missing.ipynb", {})
