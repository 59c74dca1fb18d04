#!/usr/bin/env python3
"""Two builds of the server, A and B, running at once on one loaded data set, each board request
sent to A then to B in turn: a drift of the machine (which moves one case 2x between runs on
the 2-core benchmark machine) falls on both alike. Every answer of B must equal A's. Prints,
per case, the median time of each (after 10 requests to warm) and B/A.

    bench/ab_boards.py A_BINARY B_BINARY [SIZE] [CASES] [REQUESTS]
        # SIZE: a set bench/run loaded (100000); CASES: a file of lines
        # "BOARD PERIOD DATE [PARAM=VALUE ...]" (default bench/ab_cases.txt; TEAM in a value is
        # Department 3.4's id; a custom period is the 90 days to DATE); REQUESTS: per case and
        # build (60)
"""
import datetime as dt
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

if len(sys.argv) < 3:
    raise SystemExit(__doc__)
builds = {"A": sys.argv[1], "B": sys.argv[2]}
size = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
cases = Path(sys.argv[4]) if len(sys.argv) > 4 else Path(__file__).with_name("ab_cases.txt")
requests = int(sys.argv[5]) if len(sys.argv) > 5 else 60
WARM = 10

cluster = bench.Cluster(f"pg-{size}")
cluster.ensure()
team = cluster.psql("SELECT id FROM teams WHERE name = 'Department 3.4'")
admin = bench.token("bench-admin", ["admin"])


def start(name, binary):
    port = bench.free_port()
    env = dict(os.environ, DATABASE_URL=cluster.url(), SHOUTOUT_JWT_SECRET=bench.SECRET,
               SHOUTOUT_BIND=f"127.0.0.1:{port}", SHOUTOUT_DB_POOL_SIZE="4",
               SHOUTOUT_LOG_FORMAT="json")
    log = open(cluster.root / f"server-{name}.log", "w")
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=log)
    for _ in range(600):
        try:
            bench.run(["curl", "-sf", f"http://127.0.0.1:{port}/readyz"], capture_output=True)
            return proc, http.client.HTTPConnection("127.0.0.1", port)
        except subprocess.CalledProcessError:
            time.sleep(0.2)
    raise SystemExit(f"server {name} did not become ready; see server-{name}.log")


def timed(conn, path):
    started = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {admin}"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"{path}: {response.status} {body[:300]!r}")
    return (time.perf_counter() - started) * 1000, json.loads(body)["entries"]


servers = {name: start(name, binary) for name, binary in builds.items()}
try:
    print(f"{size:,} shout-outs; {requests} requests per case and build, medians after {WARM}\n")
    print(f"| case | A ms | B ms | B/A |\n|---|---|---|---|")
    for line in cases.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        board, period, date, *params = line.split()
        end = dt.date.fromisoformat(date)
        query = f"period={period}" + (f"&from={end - dt.timedelta(days=89)}&to={end}"
                                      if period == "custom" else f"&at={date}")
        query += "".join("&" + p.replace("TEAM", team) for p in params)
        path = f"/api/v1/leaderboards/{board}?{query}"
        times = {name: [] for name in servers}
        for i in range(requests):
            answers = {}
            for name, (_, conn) in servers.items():
                ms, answers[name] = timed(conn, path)
                if i >= WARM:
                    times[name].append(ms)
            if answers["A"] != answers["B"]:
                raise SystemExit(f"{path}: the builds answer differently")
        a, b = statistics.median(times["A"]), statistics.median(times["B"])
        print(f"| {line.strip()} | {a:.3f} | {b:.3f} | {b / a:.2f} |", flush=True)
finally:
    for proc, _ in servers.values():
        proc.terminate()
        proc.wait(timeout=60)
