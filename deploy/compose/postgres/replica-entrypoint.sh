#!/usr/bin/env bash
# Entrypoint of the compose PostgreSQL streaming replica (official postgres image, started as
# root). On first start, when its data directory is empty, it clones the primary with
# pg_basebackup (-R writes standby.signal and primary_conninfo, so the server starts as a hot
# standby streaming from the primary through the slot primary-init.sh created). Then it hands over
# to the image's own entrypoint, which finds an existing data directory and just starts postgres.
set -euo pipefail

: "${PGDATA:?}" "${PRIMARY_HOST:?}" "${REPLICATION_USER:?}" "${REPLICATION_PASSWORD:?}" "${REPLICATION_SLOT:?}"

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 0700 "$PGDATA"
  until pg_isready --quiet --host="$PRIMARY_HOST" --port=5432; do
    echo "replica: waiting for the primary at $PRIMARY_HOST:5432"
    sleep 1
  done
  echo "replica: cloning the primary (pg_basebackup)"
  PGPASSWORD=$REPLICATION_PASSWORD gosu postgres pg_basebackup \
    --host="$PRIMARY_HOST" --port=5432 --username="$REPLICATION_USER" \
    --pgdata="$PGDATA" --wal-method=stream --slot="$REPLICATION_SLOT" \
    --checkpoint=fast --write-recovery-conf --no-password
fi

exec docker-entrypoint.sh "$@"
