"""The papermill analysis flow on a demo desk (replays, no network) under the Prefect harness."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from desk.domain.errors import ValidationError
from desk.domain.runs import AnalysisRun, RunStatus
from desk.notebook.session import open_desk
from tests.integration.flows.conftest import DemoDesk

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]
TEMPLATE = Path(__file__).resolve().parents[3] / "notebooks" / "20_analysis.ipynb"


def runs_of(desk: DemoDesk) -> list[AnalysisRun]:
    with open_desk(desk.home, seed=False) as d:
        frame = d.runs_frame(desk.agent_id)
        return [d.get_run(desk.agent_id, run_id) for run_id in frame["id"]]


def test_flow_runs_the_notebook_and_links_it_to_a_completed_run(
    demo_desk: DemoDesk, tmp_path: Path
) -> None:
    from flows.analysis import analysis_flow

    # no desk_home: like a scheduled run, the flow reads DESK_HOME (set by the fixture)
    result = analysis_flow(demo_desk.agent_id, run_mode="replay", replay="parallel_reading")
    artifact = Path(result["artifact"])
    assert result["status"] == "completed"
    assert (
        artifact == demo_desk.home / "artifacts" / "runs" / result["run_id"] / "20_analysis.ipynb"
    )
    run = next(r for r in runs_of(demo_desk) if r.id == result["run_id"])
    assert run.status is RunStatus.COMPLETED
    assert run.artifact_path == str(artifact)
    executed = nbformat.read(artifact, as_version=4)
    injected = next(
        c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])
    )
    assert f'run_id = "{run.id}"' in injected.source
    assert "What moved Indian markets" in (artifact.parent / "report.md").read_text()


def test_a_failing_cell_fails_the_run_with_the_cell_error(
    demo_desk: DemoDesk, tmp_path: Path
) -> None:
    from flows.analysis import NotebookFailedError, analysis_flow

    broken = nbformat.read(TEMPLATE, as_version=4)
    position = next(i for i, c in enumerate(broken.cells) if "tags" in c.metadata) + 1
    broken.cells.insert(position, nbformat.v4.new_code_cell("raise RuntimeError('feed down')"))
    path = tmp_path / "broken.ipynb"
    nbformat.write(broken, path)
    with pytest.raises(NotebookFailedError, match="feed down"):
        analysis_flow(
            demo_desk.agent_id, replay="infosys_research", desk_home=str(demo_desk.home),
            artifacts_dir=str(tmp_path / "out"), notebook=str(path),
        )  # fmt: skip
    failed = [r for r in runs_of(demo_desk) if r.status is RunStatus.FAILED]
    assert len(failed) == 1
    assert "RuntimeError: feed down" in (failed[0].error or "")
    assert failed[0].artifact_path is not None
    assert Path(failed[0].artifact_path).is_file()


def test_bad_parameters_fail_before_any_run_or_cell(demo_desk: DemoDesk, tmp_path: Path) -> None:
    from flows.analysis import analysis_flow

    before = len(runs_of(demo_desk))
    with pytest.raises(ValidationError) as info:
        analysis_flow(
            demo_desk.agent_id, replay="infosys_research", desk_home=str(demo_desk.home),
            artifacts_dir=str(tmp_path / "out"), extra_parameters={"threshhold": 3},
        )  # fmt: skip
    assert "threshhold" in info.value.fields
    strict = nbformat.read(TEMPLATE, as_version=4)
    cell = next(c for c in strict.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += "\nuniverse = None  # required: instruments to cover"
    path = tmp_path / "strict.ipynb"
    nbformat.write(strict, path)
    with pytest.raises(ValidationError) as info:
        analysis_flow(
            demo_desk.agent_id, replay="infosys_research", desk_home=str(demo_desk.home),
            artifacts_dir=str(tmp_path / "out"), notebook=str(path),
        )  # fmt: skip
    assert "missing required parameter" in info.value.fields["universe"]
    with pytest.raises(ValidationError, match="replay mode needs a transcript"):
        analysis_flow(demo_desk.agent_id, desk_home=str(demo_desk.home))
    assert len(runs_of(demo_desk)) == before
    assert not (tmp_path / "out").exists()
    assert json.dumps(info.value.fields)  # fields are plain, reportable data
