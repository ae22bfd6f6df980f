"""Plain functions behind the Prefect flows in ``flows/`` (which only sequence them)."""
