#!/usr/bin/env python3
"""What one migration does to writes and manager reports: build A (without it) and build B
(with it) on one loaded data set, in turn, the set's schema switched between them by running
the migration's down.sql (for A) and B's `migrate` (for B). Each round measures POST
/shoutouts under wrk (16 connections, 10 s, durable commits) and a department's and a
division's report over the last year (oha, 4 connections, 5 s), like `bench/run --reports-only`.

    bench/ab_writes.py A_BINARY B_BINARY MIGRATION_DIR [SIZE] [ROUNDS]
        # MIGRATION_DIR: migrations/<version>_<name>, the last one B knows and A does not;
        # SIZE: a set bench/run loaded (100000)

The set is left migrated by B.
"""
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

if len(sys.argv) < 4:
    raise SystemExit(__doc__)
builds = {"A": Path(sys.argv[1]).resolve(), "B": Path(sys.argv[2]).resolve()}
migration = Path(sys.argv[3]).resolve()
size = int(sys.argv[4]) if len(sys.argv) > 4 else 100_000
rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
version = migration.name.split("_", 1)[0].replace("-", "")
cluster = bench.Cluster(f"pg-{size}")
cluster.ensure()
admin = bench.token("bench-admin", ["admin"])


def schema_for(name):
    applied = cluster.psql(
        f"SELECT count(*) FROM __diesel_schema_migrations WHERE version = '{version}'") == "1"
    if name == "A" and applied:
        bench.run(["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-h", str(cluster.sock),
                   "-U", "postgres", "-d", "shoutout", "-f", str(migration / "down.sql")],
                  stdout=subprocess.DEVNULL)
        cluster.psql(f"DELETE FROM __diesel_schema_migrations WHERE version = '{version}'")
    elif name == "B" and not applied:
        started = bench.time.time()
        bench.run([str(builds["B"]), "migrate"], stdout=subprocess.DEVNULL,
                  env=dict(bench.os.environ, DATABASE_URL=cluster.url()))
        bench.log("migrated by B in", round(bench.time.time() - started, 1), "s")
    cluster.psql("VACUUM ANALYZE")


res = {name: {"posts": [], "reports": []} for name in builds}
# Rounds alternate the builds, so that a drift of the machine falls on both.
for r in range(rounds):
    for name, binary in builds.items():
        schema_for(name)
        bench.BIN = binary
        server = bench.Server(cluster)
        server.start()
        try:
            posts = bench.post_throughput(cluster, clients=16, seconds=10)
            reports = bench.measure_reports(cluster, admin, quick=True)
        finally:
            server.stop()
        res[name]["posts"].append(posts)
        res[name]["reports"].append(reports)
        bench.log("round", r, name, "POST/s", posts["ours"]["rps"], "pgbench tps",
                  posts["pgbench"]["tps"], "reports p50",
                  [e["p50_ms"] for e in reports])

print(json.dumps(res))
for name in builds:
    posts = [p["ours"]["rps"] for p in res[name]["posts"]]
    tps = [p["pgbench"]["tps"] for p in res[name]["posts"]]
    print(f"{name}: POST/s median {statistics.median(posts)} {posts}; "
          f"pgbench tps median {statistics.median(tps)} {tps}")
    for i, (team, _) in enumerate(bench.REPORT_TEAMS):
        p50 = [rep[i]["p50_ms"] for rep in res[name]["reports"]]
        p99 = [rep[i]["p99_ms"] for rep in res[name]["reports"]]
        print(f"   report {team}: p50 median {statistics.median(p50)} {p50}; "
              f"p99 median {statistics.median(p99)} {p99}")
schema_for("B")
