"""``open_desk``: a seeded throwaway demo desk answering in DataFrames."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from desk.cli.lab_cmd import lab_command
from desk.domain.errors import ValidationError
from desk.notebook import open_desk
from tests.conftest import make_settings


def test_demo_desk_is_seeded_and_removed_on_close() -> None:
    desk = open_desk()
    try:
        assert desk.seed is not None
        assert desk.agents()["name"].to_list() == ["infy-watch"]
        run = desk.run(desk.seed.agent_id, replay="parallel_reading")
        runs = desk.runs_frame()
        assert runs.height == 2
        assert runs.row(0, named=True)["id"] == run.id
        events = desk.events_frame(desk.seed.agent_id, run.id)
        assert events.filter(pl.col("kind") == "final").height == 1
        assert desk.verify().startswith("audit chain OK")
        assert desk.audit_frame()["action"].to_list()[-1] == "run.created"
        assert desk.orders_available()  # the demo trade was approved and executed on paper
        assert desk.orders_frame()["status"].to_list() == ["COMPLETE"]
    finally:
        desk.close()
    assert not desk.home.exists()


def test_authoring_flow_check_add_diff_promote(
    duckdb_url: str, tmp_path: Path, secret_keys: str
) -> None:
    settings = make_settings(duckdb_url, tmp_path / "home", secret_keys)
    with open_desk(settings=settings) as desk:
        agent_id = desk.agent_id("infy-watch")
        bad = desk.check_config({"model": "", "universe": ["XX:INFY"], "nope": 1})
        assert set(bad["field"]) == {"model", "system_prompt", "universe", "nope"}
        config = {"model": "m/x", "system_prompt": "p", "universe": ["NSE:INFY"],
                  "schedule": "15 9 * * 1-5", "quorum": 2}  # fmt: skip
        assert desk.check_config(config).is_empty()
        version = desk.add_version(agent_id, config)
        diff = desk.diff(agent_id, version.version)
        assert "schedule" in diff["field"].to_list()
        request = desk.request_promotion(agent_id, version.version)
        queue = desk.as_user("asha").queue_frame()
        assert queue["id"].to_list() == [request.id]
        linked = desk.link_artifact(desk.seed.run.id if desk.seed else "", tmp_path / "x.ipynb")
        assert linked.artifact_path == str(tmp_path / "x.ipynb")


def test_lab_command_binds_localhost_and_allows_root(tmp_path: Path) -> None:
    args = lab_command(
        host="127.0.0.1", port=0, notebook_dir=tmp_path, open_browser=False, is_root=True
    )
    assert "--ServerApp.ip=127.0.0.1" in args
    assert f"--ServerApp.root_dir={tmp_path}" in args
    assert args[-1] == "--allow-root"
    assert "--allow-root" not in lab_command(
        host="127.0.0.1", port=0, notebook_dir=tmp_path, open_browser=False, is_root=False
    )


def test_lab_refuses_a_missing_folder(tmp_path: Path) -> None:
    from desk.cli.lab_cmd import lab

    with pytest.raises(ValidationError):
        lab(host="127.0.0.1", port=0, notebook_dir=tmp_path / "nope", browser=False)


def test_serve_gives_a_connected_client() -> None:
    from desk.notebook import open_desk

    desk = open_desk()
    try:
        with desk.serve("asha") as client:
            assert client.me().username == "asha"
            assert [a.name for a in client.agents().results] == ["infy-watch"]
    finally:
        desk.close()
