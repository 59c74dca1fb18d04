#!/usr/bin/env bash
# The replica: on first start, a copy of the primary that follows its log
# (`pg_basebackup -R`, PostgreSQL's own streaming replication); then an ordinary start.
set -euo pipefail
until pg_isready -h postgres-primary -U "$POSTGRES_USER" >/dev/null 2>&1; do sleep 1; done
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h postgres-primary -U replicator \
        -D "$PGDATA" -R -X stream -c fast
    chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
