#!/usr/bin/env bash
# Board latency with and without the hidden-from-boards filter (issue 21), on the bench's 100k
# data set: load it with `bench/run --load-only --small 100000 --large 100000`, build the
# release binary (`cargo build --release`) and one from before the filter (BEFORE_BIN), then run
# `BEFORE_BIN=... bench/hidden_boards.sh`. Each board and period: 20 warm-up requests, then 100
# one at a time (oha). Results: bench/results/2026-12-04-hidden-from-boards.md.
set -euo pipefail
ROOT=/var/tmp/shoutout-bench/pg-100000
SOCK=$ROOT/run
runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D $ROOT/pgdata -l $ROOT/postgres.log -w \
  -o "-c listen_addresses='' -c unix_socket_directories=$SOCK -c shared_buffers=1GB" start >/dev/null || true
export DATABASE_URL="host=$SOCK user=postgres dbname=shoutout"
export SHOUTOUT_JWT_SECRET="bench-secret-bench-secret-bench-secret-0123"
export SHOUTOUT_LOG_FORMAT=json RUST_LOG=warn SHOUTOUT_DB_POOL_SIZE=8
run_one() {
  local label=$1 bin=$2 port=$3
  SHOUTOUT_BIND=127.0.0.1:$port $bin serve >"${TMPDIR:-/tmp}/hb-$label.log" 2>&1 &
  local pid=$!
  for i in $(seq 1 100); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 0.2; done
  local token; token=$($bin token --sub bench-admin --role admin)
  for board in recipients givers; do
    for period in all_time year month week rolling_30d rolling_365d; do
      local url="http://127.0.0.1:$port/api/v1/leaderboards/$board?period=$period&limit=20"
      # warm-up, then 100 requests one at a time
      oha -n 20 -c 1 --no-tui -H "Authorization: Bearer $token" "$url" >/dev/null
      local out; out=$(oha -n 100 -c 1 --no-tui --output-format json -H "Authorization: Bearer $token" "$url")
      echo "$out" | python3 "$(dirname "$0")/hidden_boards_fmt.py" "$label" "$board" "$period"
    done
  done
  kill $pid; wait $pid 2>/dev/null || true
}
PSQL="psql -X -q -At -h $SOCK -U postgres -d shoutout"
$PSQL -c "UPDATE employees SET show_on_boards = true WHERE NOT show_on_boards"
run_one before "${BEFORE_BIN:?set BEFORE_BIN to a shoutout binary built before 287d01d}" 18081
run_one after "$(dirname "$0")/../target/release/shoutout" 18082
$PSQL -c "UPDATE employees SET show_on_boards = false WHERE id IN (SELECT id FROM employees ORDER BY id LIMIT 500)"
run_one after-500-hidden "$(dirname "$0")/../target/release/shoutout" 18083
$PSQL -c "UPDATE employees SET show_on_boards = true WHERE NOT show_on_boards"
runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D $ROOT/pgdata -m fast stop >/dev/null
