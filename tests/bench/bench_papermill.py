"""Benchmark: papermill overhead of the analysis notebook, and `schedules sync` for 500 agents.

Run: ``uv run python tests/bench/bench_papermill.py`` (not collected by pytest; no network).

1. The same replayed research run (``infosys_research``) called directly (start_run +
   execute_run_blocking in a warm process) and through ``notebooks/20_analysis.ipynb`` with
   papermill in-process (kernel start, imports, opening the store, the run, rendering, saving).
   Prints the medians and the overhead (goal <= 2 s), plus an empty notebook's cost (the floor
   set by starting a kernel).
2. ``sync_schedules`` for 500 agents against Prefect's local test server: first sync (creates),
   a repeat (no change), and one with 50 changed crons and 50 removed agents.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="desk-bench-prefect-")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_TO_API_ENABLED"] = "false"

from desk.notebook import open_desk  # noqa: E402
from desk.settings import DeskSettings  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "20_analysis.ipynb"
REPLAY = "infosys_research"
REPEAT = 3


def timed_direct(home: Path, agent_id: str) -> float:
    with open_desk(settings=DeskSettings(_env_file=None, home=home), seed=False) as desk:
        desk.run(agent_id, replay=REPLAY)  # warm-up
        samples = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            desk.run(agent_id, replay=REPLAY)
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


COLD = """
import time, sys
start = time.perf_counter()
from desk.notebook import open_desk
from desk.settings import DeskSettings
from pathlib import Path
with open_desk(settings=DeskSettings(_env_file=None, home=Path(sys.argv[1])), seed=False) as d:
    d.run(sys.argv[2], replay=sys.argv[3])
"""


def timed_cold(home: Path, agent_id: str) -> float:
    """The same run in a fresh interpreter: process start, imports, opening the store, run."""
    import subprocess

    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", COLD, str(home), agent_id, REPLAY], check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def timed_notebook(path: Path, out: Path, parameters: dict[str, object]) -> float:
    """Median seconds of papermill runs of ``path``; outputs ``<out>/<stem>-<i>.ipynb``."""
    import papermill

    samples = []
    for i in range(REPEAT):
        start = time.perf_counter()
        papermill.execute_notebook(
            str(path), str(out / f"{path.stem}-{i}.ipynb"), parameters=parameters,
            kernel_name="python3", progress_bar=False, cwd=str(path.parent),
        )  # fmt: skip
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def empty_notebook(folder: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P"}
    path = folder / "empty.ipynb"
    nbformat.write(nb, path)
    return path


def bench_papermill(tmp: Path) -> None:
    home = tmp / "home"
    with open_desk(settings=DeskSettings(_env_file=None, home=home)) as desk:
        assert desk.seed is not None
        agent_id = desk.seed.agent_id
    direct = timed_direct(home, agent_id)
    cold = timed_cold(home, agent_id)
    params = {"agent_id": agent_id, "run_mode": "replay", "replay": REPLAY,
              "desk_home": str(home), "user": "owner"}  # fmt: skip
    os.environ["DESK_HOME"] = str(home)
    through = timed_notebook(NOTEBOOK, tmp, params)
    floor = timed_notebook(empty_notebook(tmp), tmp, {})
    print(f"direct replayed run (warm, median of {REPEAT}):   {direct:6.3f} s")
    print(f"same run in a fresh python process:            {cold:6.3f} s")
    print(f"20_analysis via papermill (median of {REPEAT}):   {through:6.3f} s")
    print(f"empty notebook via papermill (kernel floor):   {floor:6.3f} s")
    print(f"papermill overhead (notebook - direct):        {through - direct:6.3f} s (goal <= 2 s)")
    print(f"  of which beyond a fresh process (nb - cold):  {through - cold:6.3f} s")
    cells = cell_durations(tmp / f"{NOTEBOOK.stem}-{REPEAT - 1}.ipynb")
    print("  slowest cells of the last run: " + ", ".join(f"#{i} {d:.3f} s" for i, d in cells[:3]))


def cell_durations(path: Path) -> list[tuple[int, float]]:
    """(cell index, seconds) from papermill's own per-cell metadata, slowest first."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    found = [
        (i, c.metadata.get("papermill", {}).get("duration") or 0.0) for i, c in enumerate(nb.cells)
    ]
    return sorted(found, key=lambda item: -item[1])


def bench_sync(count: int = 500) -> None:
    from prefect.testing.utilities import prefect_test_harness

    from desk.flows_support.schedules import AgentSchedule, sync_schedules

    def wanted(n: int, cron: str, changed: int = 0) -> list[AgentSchedule]:
        return [
            AgentSchedule(
                f"agent{i:04d}", f"agent-{i}", "45 9 * * 1-5" if i < changed else cron,
                False, {"agent_id": f"agent{i:04d}", "query": "q", "run_mode": "live"},
            )
            for i in range(n)
        ]  # fmt: skip

    start = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=90):
        print(f"prefect test server ready in {time.perf_counter() - start:.1f} s")
        for label, items in (
            (f"first sync, {count} agents (creates)", wanted(count, "15 9 * * 1-5")),
            (f"repeat sync, {count} agents (no change)", wanted(count, "15 9 * * 1-5")),
            ("50 changed crons, 50 agents removed", wanted(count - 50, "15 9 * * 1-5", 50)),
        ):
            start = time.perf_counter()
            report = sync_schedules(items)
            print(f"{label:42s} {time.perf_counter() - start:6.2f} s  ({report.describe()})")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="desk-bench-") as tmp:
        bench_papermill(Path(tmp))
    bench_sync()


if __name__ == "__main__":
    main()
