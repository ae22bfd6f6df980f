"""``desk lab``: JupyterLab on the analyst notebooks with the project's kernel."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def register(app: typer.Typer) -> None:
    app.command("lab")(lab)


def lab_command(
    *, host: str, port: int, notebook_dir: Path, open_browser: bool, is_root: bool
) -> list[str]:
    """The JupyterLab command line (the venv's own interpreter, so its kernel is ``python3``)."""
    args = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.ip={host}", f"--ServerApp.port={port}",
        f"--ServerApp.root_dir={notebook_dir}",
        f"--ServerApp.open_browser={open_browser}",
        "--ServerApp.port_retries=0",
    ]  # fmt: skip
    if is_root:
        args.append("--allow-root")
    return args


def lab(
    host: str = typer.Option("127.0.0.1", help="Bind address (keep 127.0.0.1 unless proxied)."),
    port: int = typer.Option(8888, help="Port of JupyterLab."),
    notebook_dir: Path = typer.Option(NOTEBOOKS, help="Folder JupyterLab opens."),
    browser: bool = typer.Option(False, help="Open a browser tab."),
) -> None:
    """Open JupyterLab on notebooks/ (stop `desk serve` first if the notebooks open its DuckDB
    store: one process per DuckDB file; by default the notebooks use a throwaway demo desk)."""
    if not notebook_dir.is_dir():
        from desk.domain.errors import ValidationError

        raise ValidationError(
            f"no notebook folder at {notebook_dir}", fields={"notebook_dir": "not found"}
        )
    args = lab_command(
        host=host, port=port, notebook_dir=notebook_dir, open_browser=browser,
        is_root=hasattr(os, "geteuid") and os.geteuid() == 0,
    )  # fmt: skip
    typer.echo(f"JupyterLab on http://{host}:{port}/lab (notebooks in {notebook_dir})")
    os.execv(sys.executable, args)  # noqa: S606 (replaces this process with JupyterLab)
