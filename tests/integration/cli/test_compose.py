"""docker-compose.yml: every desk service runs a real `desk` command."""

from __future__ import annotations

from pathlib import Path

import typer.core
import typer.main
import yaml

from desk.cli.main import app

ROOT = Path(__file__).resolve().parents[3]


def _resolve(args: list[str]) -> object:
    command = typer.main.get_command(app)
    for word in args:
        if word.startswith("-") or not isinstance(command, typer.core.TyperGroup):
            break
        sub = command.commands.get(word)
        assert sub is not None, f"`desk {' '.join(args)}`: no command {word!r}"
        command = sub
    return command


def test_compose_services_run_real_desk_commands() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    desk_services = {name: s for name, s in compose["services"].items() if "build" in s}
    assert {"desk", "migrate"} <= set(desk_services)
    for name, service in desk_services.items():
        command = service["command"]
        assert command[0] == "desk", name
        resolved = _resolve(command[1:])
        assert not isinstance(resolved, typer.core.TyperGroup), (
            f"{name}: `{' '.join(command)}` is a group"
        )
        params = {opt for p in resolved.params for opt in getattr(p, "opts", [])}
        for word in command[1:]:
            if word.startswith("--"):
                assert word in params, f"{name}: unknown option {word}"


def test_dockerfile_runs_the_service() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["desk", "serve"]' in text and "uv sync --locked" in text
