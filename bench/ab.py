#!/usr/bin/env python3
"""Two builds of the server, A and B, on one loaded data set, in turn: a few paths alone (one
connection, 400 requests: p50 and p99) and under load (16 connections, 4 s: requests per
second). For a change that touches every request (the connection setup, say), where the board
benchmark's single run cannot tell a small difference from noise.

    bench/ab.py A_BINARY B_BINARY [SIZE] [ROUNDS] [PATH ...]
        # SIZE: a set bench/run loaded (100000); PATH: under /api/v1 (default: a board of one
        # bucket, a span, a team's board and the feed)
"""
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

if len(sys.argv) < 3:
    raise SystemExit(__doc__)
builds = {"A": Path(sys.argv[1]), "B": Path(sys.argv[2])}
size = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
cluster = bench.Cluster(f"pg-{size}")
cluster.ensure()
admin = bench.token("bench-admin", ["admin"])
team = cluster.psql("SELECT id FROM teams WHERE name = 'Department 3.4'")
paths = {p: p for p in sys.argv[5:]} or {
    "recipients month": "leaderboards/recipients?period=month",
    "givers rolling_7d": "leaderboards/givers?period=rolling_7d",
    "teams all_time team": f"leaderboards/teams?period=all_time&team_id={team}",
    "feed": "shoutouts?limit=20",
}
res = {}
# Rounds alternate the builds, so that a drift of the machine falls on both.
for r in range(rounds):
    for name, binary in builds.items():
        bench.BIN = binary
        server = bench.Server(cluster)
        server.start()
        try:
            for label, p in paths.items():
                url = f"http://127.0.0.1:{bench.PORT}/api/v1/{p}"
                bench.oha(url, admin, connections=1, requests=20)
                alone = bench.oha(url, admin, connections=1, requests=400)
                load = bench.oha(url, admin, connections=16, duration=4)
                res.setdefault((label, name), []).append(
                    (alone["p50_ms"], alone["p99_ms"], load["rps"],
                     alone["non_200"] + load["non_200"]))
        finally:
            server.stop()
print(f"{size} shout-outs, {rounds} rounds; A = {builds['A']}, B = {builds['B']}")
print("| path | build | p50 ms (median) | p99 ms (median) | req/s c=16 (median) | non-200 |")
for label in paths:
    for name in builds:
        v = res[(label, name)]
        print(f"| {label} | {name} | {statistics.median(x[0] for x in v)} | {statistics.median(x[1] for x in v)} | {statistics.median(x[2] for x in v)} | {sum(x[3] for x in v)} |")
