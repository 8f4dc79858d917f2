#!/usr/bin/env bash
# Runs once, when the primary's data directory is first created (the official postgres image
# runs /docker-entrypoint-initdb.d/*.sh as the postgres user). Prepares streaming replication:
# a replication role, a physical slot for the replica (so the primary keeps the WAL the replica
# still needs), and a pg_hba.conf line letting the role connect for replication.
set -euo pipefail

: "${REPLICATION_USER:?}" "${REPLICATION_PASSWORD:?}" "${REPLICATION_SLOT:?}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v repl_user="$REPLICATION_USER" -v repl_password="$REPLICATION_PASSWORD" -v repl_slot="$REPLICATION_SLOT" <<'SQL'
CREATE ROLE :"repl_user" WITH REPLICATION LOGIN PASSWORD :'repl_password';
SELECT pg_create_physical_replication_slot(:'repl_slot');
SQL

# The image's default pg_hba.conf has `host all all all scram-sha-256`, and "all" does not cover
# replication connections: allow them for the replication role only.
echo "host replication ${REPLICATION_USER} all scram-sha-256" >>"$PGDATA/pg_hba.conf"
