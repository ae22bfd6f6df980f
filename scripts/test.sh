#!/usr/bin/env bash
# The whole test suite: unit, integration on DuckDB and Postgres, notebooks.
# Starts the local PostgreSQL 15 cluster when it is installed and DESK_TEST_POSTGRES_URL is
# not set (needs root or the postgres user); without Postgres the run says so loudly.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DESK_TEST_POSTGRES_URL:-}" ]] && command -v pg_ctlcluster >/dev/null 2>&1; then
  bash scripts/postgres.sh || echo "!! could not start PostgreSQL; Postgres tests will be reported" >&2
fi

uv run pytest "$@"

# Browser tests (Playwright on the system Chromium) in their own process: pytest-playwright
# keeps an event loop running for the session, which async tests must not share.
uv run pytest -m browser tests/e2e -q

if compgen -G "notebooks/*.ipynb" >/dev/null; then
  uv run pytest -o addopts="" -p no:cacheprovider -p nbmake --nbmake notebooks/ -q
fi
