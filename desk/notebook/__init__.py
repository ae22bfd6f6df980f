"""Helpers for analyst notebooks: open a desk in-process and get polars DataFrames back.

    from desk.notebook import open_desk
    desk = open_desk()            # a throwaway demo desk (temp folder, seeded)
    desk.agents(); desk.runs_frame(); desk.audit_frame(); desk.verify()

Only one process may open a DuckDB store: don't point a notebook at the store of a running
``desk serve`` (stop it, or use Postgres).
"""

from desk.notebook.session import NotebookDesk, engine_for, open_desk

__all__ = ["NotebookDesk", "engine_for", "open_desk"]
