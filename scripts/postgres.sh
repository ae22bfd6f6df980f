#!/usr/bin/env bash
# Start the machine's PostgreSQL 15 cluster and create the desk role and test database
# (idempotent). Recipe from shared/VERIFIED.md.
set -euo pipefail
as_postgres() { if [[ $(id -u) -eq 0 ]]; then su postgres -c "$1"; else sudo -n -u postgres sh -c "$1"; fi; }
pg_ctlcluster 15 main status >/dev/null 2>&1 || pg_ctlcluster 15 main start
for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
pg_isready -q -h 127.0.0.1 -p 5432
as_postgres "psql -v ON_ERROR_STOP=1 -qtA" <<'SQL'
SELECT 'CREATE ROLE desk LOGIN PASSWORD ''desk'' CREATEDB' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname='desk')\gexec
SELECT 'CREATE DATABASE desk_test OWNER desk' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname='desk_test')\gexec
SQL
echo "postgres ready: postgresql+psycopg://desk:desk@127.0.0.1:5432/desk_test"
