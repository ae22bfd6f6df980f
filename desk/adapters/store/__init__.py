"""SQLAlchemy 2 store on DuckDB (embedded default) and Postgres (teams)."""
