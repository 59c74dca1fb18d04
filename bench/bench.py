#!/usr/bin/env python3
"""Shoutout's benchmark: leaderboards at 100,000 and 10,000,000 shout-outs, side by side with
the naive SQL, and the write path against pgbench running the same transaction.

Run through `bench/run` (which builds and installs what this needs). Everything runs on this
machine against loopback: a private PostgreSQL cluster per data size (durable: fsync and
synchronous commit on), the release server, oha (open-loop, latency-corrected), wrk and
pgbench. Writes bench/results/<date>-leaderboards.md and .json.
"""

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BENCH_BIN: another build of the server (say, the one before a change) on the same data.
BIN = Path(os.environ.get("BENCH_BIN") or ROOT / "target" / "release" / "shoutout")
GEN = ROOT / "target" / "release" / "examples" / "bench-gen"
WORK = Path(os.environ.get("BENCH_DIR", "/var/tmp/shoutout-bench"))
OHA = os.environ.get("OHA", shutil.which("oha") or str(Path.home() / ".cargo/bin/oha"))
SECRET = "benchmark-secret-" + "0123456789abcdef" * 2
def free_port():
    """A port nobody listens on now, so that two benchmark runs on one machine do not meet."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = int(os.environ.get("BENCH_PORT") or free_port())
EMPLOYEES = 50_000
AS_ROOT = os.geteuid() == 0

PG_SETTINGS = {
    "shared_buffers": "2GB",
    "effective_cache_size": "12GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "15min",
    "max_connections": "200",
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "jit": "off",
}

BOARDS = ["recipients", "givers", "teams"]
PERIODS = [
    "week", "month", "quarter", "year", "all_time",
    "rolling_7d", "rolling_30d", "rolling_365d", "custom", "campaign",
]
CALENDAR = {"week", "month", "quarter", "year", "all_time", "campaign"}


def log(*parts):
    print("[bench]", *parts, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, **kw)


def pg_bin(name):
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return str(versions[-1] / name)


class Cluster:
    """A private PostgreSQL cluster on a Unix socket (as `postgres` when we are root)."""

    def __init__(self, name):
        self.root = WORK / name
        self.data = self.root / "pgdata"
        self.sock = self.root / "run"

    def _as_pg(self, cmd):
        return ["runuser", "-u", "postgres", "--", *cmd] if AS_ROOT else cmd

    def ensure(self):
        self.sock.mkdir(parents=True, exist_ok=True)
        if AS_ROOT:
            run(["chown", "-R", "postgres:postgres", str(self.root)])
            run(["chmod", "755", str(WORK)])
        if not (self.data / "PG_VERSION").exists():
            run(self._as_pg([pg_bin("initdb"), "-D", str(self.data), "-U", "postgres",
                             "--auth=trust", "-E", "UTF8"]), stdout=subprocess.DEVNULL)
        options = " ".join(f"-c {k}={v}" for k, v in PG_SETTINGS.items())
        options += f" -c listen_addresses='' -c unix_socket_directories={self.sock}"
        status = subprocess.run(self._as_pg([pg_bin("pg_ctl"), "-D", str(self.data), "status"]),
                                stdout=subprocess.DEVNULL)
        if status.returncode != 0:
            run(self._as_pg([pg_bin("pg_ctl"), "-D", str(self.data), "-l",
                             str(self.root / "postgres.log"), "-w", "-o", options, "start"]),
                stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run(self._as_pg([pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"]),
                       stdout=subprocess.DEVNULL)

    def url(self, db="shoutout"):
        return f"host={self.sock} user=postgres dbname={db}"

    def psql(self, sql, db="shoutout"):
        return run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", str(self.sock),
                    "-U", "postgres", "-d", db, "-c", sql], capture_output=True).stdout.strip()


def load(cluster, shoutouts):
    """Generates and COPYs the data set, then counts the tallies from the raw tables."""
    marker = cluster.root / f"loaded-{EMPLOYEES}-{shoutouts}"
    if marker.exists():
        log(f"data set of {shoutouts:,} already loaded in {cluster.root}")
        return json.loads(marker.read_text())
    timings = {}
    cluster.psql("DROP DATABASE IF EXISTS shoutout", db="postgres")
    cluster.psql("CREATE DATABASE shoutout", db="postgres")
    env = dict(os.environ, DATABASE_URL=cluster.url())
    run([str(BIN), "migrate"], env=env, stdout=subprocess.DEVNULL)
    out = cluster.root / "csv"
    started = time.time()
    run([str(GEN), str(out), str(EMPLOYEES), str(shoutouts)])
    timings["generate_s"] = round(time.time() - started, 1)
    if AS_ROOT:
        run(["chown", "-R", "postgres:postgres", str(out)])
    started = time.time()
    # Triggers (and FK checks) off for the bulk load; the tallies are recounted afterwards.
    copy = f"""
SET session_replication_role = replica;
COPY teams (id, name, parent_id, manager_id, created_at, updated_at) FROM '{out}/teams.csv' CSV;
COPY employees (id, external_id, display_name, email, team_id, title, active, created_at, updated_at) FROM '{out}/employees.csv' CSV;
COPY shoutouts (id, source, giver_id, customer_name, value, message, status, created_at, retracted_at, retracted_by, giver_team_id) FROM '{out}/shoutouts.csv' CSV;
COPY shoutout_recipients (shoutout_id, recipient_id, giver_id, recipient_team_id, created_at, value, source, status) FROM '{out}/recipients.csv' CSV;
CREATE TABLE bench_people (n integer, id uuid, external_id text, active boolean);
COPY bench_people FROM '{out}/bench_people.csv' CSV;
CREATE TABLE bench_active AS SELECT (row_number() OVER (ORDER BY n) - 1)::integer AS n, id, external_id
    FROM bench_people WHERE active;
CREATE UNIQUE INDEX ON bench_active (n);
"""
    run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(cluster.sock), "-U", "postgres",
         "-d", "shoutout"], input=copy)
    timings["copy_s"] = round(time.time() - started, 1)
    started = time.time()
    cluster.psql("SELECT tally_rebuild()")
    timings["tally_rebuild_s"] = round(time.time() - started, 1)
    started = time.time()
    cluster.psql("SELECT report_rebuild()")
    timings["report_rebuild_s"] = round(time.time() - started, 1)
    started = time.time()
    cluster.psql("VACUUM (ANALYZE)")
    timings["vacuum_analyze_s"] = round(time.time() - started, 1)
    shutil.rmtree(out)
    timings["rows"] = {
        t: int(cluster.psql(f"SELECT count(*) FROM {t}"))
        for t in ["employees", "teams", "shoutouts", "shoutout_recipients", "tallies",
                  "report_team_days", "report_person_months"]
    }
    timings["database_size"] = cluster.psql("SELECT pg_size_pretty(pg_database_size('shoutout'))")
    marker.write_text(json.dumps(timings))
    log("loaded", timings)
    return timings


def token(sub, roles):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": sub, "roles": roles, "exp": int(time.time()) + 6 * 3600}
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(SECRET.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"


class Server:
    def __init__(self, cluster, env=None, port=None):
        self.cluster = cluster
        self.proc = None
        self.extra_env = env or {}
        # Another instance on the same database gets a port (and a log) of its own.
        self.port = port or PORT

    def start(self):
        env = dict(os.environ, DATABASE_URL=self.cluster.url(), SHOUTOUT_JWT_SECRET=SECRET,
                   SHOUTOUT_BIND=f"127.0.0.1:{self.port}", SHOUTOUT_DB_POOL_SIZE="16",
                   SHOUTOUT_DAILY_LIMIT="10000", SHOUTOUT_LOG_FORMAT="json", **self.extra_env)
        name = "server.log" if self.port == PORT else f"server-{self.port}.log"
        self.log = open(self.cluster.root / name, "w")
        self.proc = subprocess.Popen([str(BIN), "serve"], env=env, stdout=self.log, stderr=self.log)
        for _ in range(600):
            try:
                run(["curl", "-sf", f"http://127.0.0.1:{self.port}/readyz"], capture_output=True)
                return
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        raise SystemExit("the server did not become ready; see server.log")

    def peak_rss_mib(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return None

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=60)


def oha(url, auth, rate=None, duration=4, connections=16, requests=None):
    cmd = [OHA, "--no-tui", "--output-format", "json", "-H", f"Authorization: Bearer {auth}"]
    cmd += ["-n", str(requests)] if requests else ["-z", f"{duration}s"]
    if rate:
        cmd += ["-q", str(rate), "--latency-correction", "-c", str(connections)]
    else:
        cmd += ["-c", str(connections)]
    out = json.loads(run(cmd + [url], capture_output=True).stdout)
    statuses = out.get("statusCodeDistribution", {})
    bad = sum(v for k, v in statuses.items() if k != "200")
    pct = out.get("latencyPercentiles", {})
    return {
        "p50_ms": round((pct.get("p50") or 0) * 1000, 3),
        "p99_ms": round((pct.get("p99") or 0) * 1000, 3),
        "rps": round(out["summary"]["requestsPerSec"], 1),
        "non_200": bad,
    }


def board_urls(cluster, campaign_id, end=None, periods=None):
    """Every board x period x filter; as of `end` (`at`, and a custom span ending there) when
    given, and then without the campaign, whose days are its own. `periods`: only these."""
    team = cluster.psql("SELECT id FROM teams WHERE name = 'Department 3.4'")
    last = end or dt.date.today()
    urls = []
    for board in BOARDS:
        for period in PERIODS:
            if (end and period == "campaign") or (periods and period not in periods):
                continue
            for variant in ["none", "value", "team"]:
                q = f"period={period}"
                if period == "custom":
                    q += f"&from={last - dt.timedelta(days=89)}&to={last}"
                elif end and period != "all_time":
                    q += f"&at={end}"
                if period == "campaign":
                    q += f"&campaign_id={campaign_id}"
                if variant == "value":
                    q += "&value=helping_others"
                if variant == "team":
                    q += f"&team_id={team}"
                urls.append((board, period, variant,
                             f"http://127.0.0.1:{PORT}/api/v1/leaderboards/{board}?{q}"))
    return urls


def as_of_dates(today=None):
    """The days boards are measured as of with --as-of: today, the first, middle and last day
    of last month, and the second day of this year (or of last year in early January)."""
    today = today or dt.date.today()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    january = dt.date(today.year if today >= dt.date(today.year, 1, 10) else today.year - 1, 1, 2)
    return [today, last_month_end.replace(day=1), last_month_end.replace(day=15), last_month_end,
            january]


def measure_as_of(cluster, admin, dates, size, requests, periods=None):
    """Each board alone (one connection, `requests` in a row: p50 and p99) as of each date,
    beside the naive GROUP BY over the same days."""
    out = []
    for end in dates:
        for board, period, variant, url in board_urls(cluster, None, end, periods):
            oha(url, admin, duration=None, connections=1, requests=3)  # warm this board's pages
            alone = oha(url, admin, duration=None, connections=1, requests=requests)
            entry = {"as_of": str(end), "board": board, "period": period, "variant": variant,
                     "p50_ms": alone["p50_ms"], "p99_ms": alone["p99_ms"],
                     "non_200": alone["non_200"]}
            if variant == "none":
                naive = pgbench(cluster, naive_sql(board, period, None, end), 1,
                                transactions=3 if size >= 1_000_000 else 10)
                entry["naive_ms"] = naive["latency_avg_ms"]
                entry["ours_over_naive"] = round(alone["p50_ms"] / naive["latency_avg_ms"], 3)
            log(size, "as of", end, board, period, variant, entry)
            out.append(entry)
    return out


STANDING_PERIODS = ["month", "all_time", "rolling_30d", "custom"]


def standing_subjects(cluster, board, period, end):
    """Who stands first, in the middle and last on a board (its plain GROUP BY of the period as
    of `end`, by count and then id): the three places a standing is measured at."""
    where = f"s.status = 'published' AND {naive_where(period, None, end)}"
    if board == "givers":
        key, rows = "s.giver_id", "shoutouts s"
    else:
        key = "r.recipient_id" if board == "recipients" else "r.recipient_team_id"
        rows = "shoutout_recipients r JOIN shoutouts s ON s.id = r.shoutout_id"
    ranked = cluster.psql(
        f"SELECT string_agg(k::text, ',' ORDER BY n DESC, k) FROM ("
        f"SELECT {key} AS k, count(*) AS n FROM {rows} WHERE {where} AND {key} IS NOT NULL "
        f"GROUP BY {key}) g").split(",")
    if not ranked or ranked == [""]:
        return []
    return [("first", ranked[0]), ("middle", ranked[len(ranked) // 2]), ("last", ranked[-1])]


def measure_standings(cluster, admin, end, size, requests):
    """With --as-of: someone's standing ("around me", two neighbours) alone, first, in the middle
    and last of each board, as of `end`, beside the naive GROUP BY of the whole board."""
    out = []
    for board in BOARDS:
        for period in STANDING_PERIODS:
            q = f"period={period}"
            if period == "custom":
                q += f"&from={end - dt.timedelta(days=89)}&to={end}"
            elif period != "all_time":
                q += f"&at={end}"
            naive = pgbench(cluster, naive_sql(board, period, None, end), 1,
                            transactions=3 if size >= 1_000_000 else 10)
            for place, subject in standing_subjects(cluster, board, period, end):
                url = f"http://127.0.0.1:{PORT}/api/v1/leaderboards/{board}/{subject}?{q}"
                oha(url, admin, duration=None, connections=1, requests=3)
                alone = oha(url, admin, duration=None, connections=1, requests=requests)
                entry = {"as_of": str(end), "board": board, "period": period, "place": place,
                         "p50_ms": alone["p50_ms"], "p99_ms": alone["p99_ms"],
                         "non_200": alone["non_200"], "naive_ms": naive["latency_avg_ms"],
                         "ours_over_naive": round(alone["p50_ms"] / naive["latency_avg_ms"], 3)}
                log(size, "standing", end, board, period, place, entry)
                out.append(entry)
    return out


def measure_campaign_alone(cluster, admin, size, requests):
    """With --as-of: the campaign boards (whose days are their own) alone, the same way."""
    campaign_id = ensure_campaign(admin)
    days = cluster.psql(
        f"SELECT starts_on || ',' || ends_on FROM campaigns WHERE id = '{campaign_id}'").split(",")
    out = []
    for board, period, variant, url in board_urls(cluster, campaign_id):
        if period != "campaign":
            continue
        oha(url, admin, duration=None, connections=1, requests=3)
        alone = oha(url, admin, duration=None, connections=1, requests=requests)
        entry = {"board": board, "variant": variant, "p50_ms": alone["p50_ms"],
                 "p99_ms": alone["p99_ms"], "non_200": alone["non_200"]}
        if variant == "none":
            naive = pgbench(cluster, naive_sql(board, period, days), 1,
                            transactions=3 if size >= 1_000_000 else 10)
            entry["naive_ms"] = naive["latency_avg_ms"]
            entry["ours_over_naive"] = round(alone["p50_ms"] / naive["latency_avg_ms"], 3)
        log(size, "campaign", board, variant, entry)
        out.append(entry)
    return out


def ensure_campaign(admin):
    """Customer Service Week of last year: the first full week of October."""
    year = dt.date.today().year - 1
    first = dt.date(year, 10, 1)
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    body = json.dumps({"name": f"Customer Service Week {year}", "starts_on": str(monday),
                       "ends_on": str(monday + dt.timedelta(days=6))})
    created = run(["curl", "-s", "-X", "POST", f"http://127.0.0.1:{PORT}/api/v1/campaigns",
                   "-H", f"Authorization: Bearer {admin}", "-H", "Content-Type: application/json",
                   "-d", body], capture_output=True).stdout
    listing = json.loads(run(["curl", "-s", f"http://127.0.0.1:{PORT}/api/v1/campaigns",
                              "-H", f"Authorization: Bearer {admin}"], capture_output=True).stdout)
    del created
    return listing["items"][0]["id"]


def naive_sql(board, period, campaign, end=None):
    """What a naive implementation runs: GROUP BY over the raw rows of the period that ends on
    (or holds) `end` (today by default)."""
    where = naive_where(period, campaign, end)
    if board == "givers":
        return (f"SELECT s.giver_id, count(*) AS n FROM shoutouts s WHERE s.status = 'published' "
                f"AND s.giver_id IS NOT NULL AND {where} GROUP BY s.giver_id ORDER BY n DESC LIMIT 20;")
    key = "r.recipient_id" if board == "recipients" else "r.recipient_team_id"
    return (f"SELECT {key}, count(*) AS n FROM shoutout_recipients r JOIN shoutouts s "
            f"ON s.id = r.shoutout_id WHERE s.status = 'published' AND {where} "
            f"GROUP BY {key} ORDER BY n DESC LIMIT 20;")


def naive_where(period, campaign, end=None):
    """The naive query's condition on a shout-out `s` for the days of the period that ends on
    (or holds) `end` (today by default)."""
    end = end or dt.date.today()
    day = lambda d: f"'{d}'::timestamp AT TIME ZONE 'UTC'"
    calendar_start = {
        "week": end - dt.timedelta(days=end.weekday()),
        "month": end.replace(day=1),
        "quarter": end.replace(month=(end.month - 1) // 3 * 3 + 1, day=1),
        "year": end.replace(month=1, day=1),
    }
    if period in calendar_start:
        start = calendar_start[period]
        if period == "week":
            stop = start + dt.timedelta(days=7)
        elif period == "month":
            stop = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        elif period == "quarter":
            stop = dt.date(start.year + (start.month + 3 > 12), (start.month + 2) % 12 + 1, 1)
        else:
            stop = dt.date(start.year + 1, 1, 1)
        where = f"s.created_at >= {day(start)} AND s.created_at < {day(stop)}"
    elif period.startswith("rolling_") or period == "custom":
        days = 90 if period == "custom" else int(period[len("rolling_"):-1])
        start = end - dt.timedelta(days=days - 1)
        where = (f"s.created_at >= {day(start)} AND "
                 f"s.created_at < {day(end + dt.timedelta(days=1))}")
    elif period == "campaign":
        where = (f"s.created_at >= '{campaign[0]}'::timestamp AT TIME ZONE 'UTC' AND "
                 f"s.created_at < '{campaign[1]}'::timestamp AT TIME ZONE 'UTC' + interval '1 day'")
    else:
        where = "true"
    return where


def pgbench(cluster, script, clients, seconds=None, transactions=None):
    path = cluster.root / "script.sql"
    path.write_text(script)
    if AS_ROOT:
        run(["chown", "postgres", str(path)])
    # Prepared statements, as the service's driver uses.
    cmd = ["pgbench", "-n", "-M", "prepared", "-h", str(cluster.sock), "-U", "postgres",
           "-c", str(clients),
           "-j", str(min(clients, 2)), "-f", str(path)]
    cmd += ["-T", str(seconds)] if seconds else ["-t", str(transactions)]
    out = run(cmd + ["shoutout"], capture_output=True).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return {"tps": round(tps, 1), "latency_avg_ms": latency}


POST_SQL = """\\set g random(0, 1999)
\\set r (:g + 1 + random(0, 1998)) % 2000
SELECT a.id AS gid, a.external_id AS ext, b.id AS rid FROM bench_active a, bench_active b WHERE a.n = :g AND b.n = :r \\gset
BEGIN;
SELECT id, external_id, display_name, email, team_id, title, active, created_at, updated_at FROM employees WHERE external_id = :ext;
SELECT id FROM employees WHERE id IN (:rid, :gid) AND active FOR SHARE;
INSERT INTO giver_daily_counts AS c (giver_id, day, given) VALUES (:gid, current_date, 1) ON CONFLICT (giver_id, day) DO UPDATE SET given = c.given + 1 WHERE c.given < 10000 RETURNING c.given;
INSERT INTO shoutouts (id, source, giver_id, value, message, status, created_at) VALUES (gen_random_uuid(), 'staff', :gid, 'helping_others', 'Thanks for the help today', 'published', now()) RETURNING id AS sid \\gset
INSERT INTO shoutout_recipients (shoutout_id, recipient_id, giver_id) VALUES (:sid, :rid, :gid);
SELECT e.* FROM shoutout_recipients r JOIN employees e ON e.id = r.recipient_id WHERE r.shoutout_id = :sid;
SELECT * FROM employees WHERE id = :gid;
SELECT count(*) FROM cheers WHERE shoutout_id = :sid;
END;
"""

WRK_LUA = """
local tokens, ids = {}, {}
for line in io.lines(os.getenv("BENCH_PEOPLE")) do
  local id, tok = line:match("([^,]+),([^,]+)")
  ids[#ids + 1] = id; tokens[#tokens + 1] = tok
end
local n = #ids
math.randomseed(os.time())
-- BENCH_DELAY_MS: each connection pauses this long before each request (a steady load, not
-- the most the service takes).
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  delay = function() return pause end
end
request = function()
  local g = math.random(n)
  local r = (g + math.random(n - 1) - 1) % n + 1
  local body = '{"recipient_ids":["' .. ids[r] .. '"],"value":"helping_others","message":"Thanks for the help today"}'
  return wrk.format("POST", "/api/v1/shoutouts",
    {["Authorization"] = "Bearer " .. tokens[g], ["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "non_2xx": %d, "p50_ms": %.3f, "p99_ms": %.3f}\\n',
    summary.requests, summary.duration, non2xx, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk_posts(cluster, clients, seconds, delay_ms=0):
    """wrk giving shout-outs (among the first 2,000 active people) on `clients` connections for
    `seconds`, each connection pausing `delay_ms` before each request; wrk's figures."""
    people = cluster.psql("SELECT id || ',' || external_id FROM bench_active WHERE n < 2000 ORDER BY n")
    rows = [line.split(",") for line in people.splitlines()]
    people_file = cluster.root / "people.txt"
    people_file.write_text("".join(f"{i},{token(ext, ['employee'])}\n" for i, ext in rows))
    lua = cluster.root / "post.lua"
    lua.write_text(WRK_LUA)
    out = run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds}s", "-s", str(lua),
               f"http://127.0.0.1:{PORT}/api/v1/shoutouts"],
              env=dict(os.environ, BENCH_PEOPLE=str(people_file), BENCH_DELAY_MS=str(delay_ms)),
              capture_output=True).stdout
    stats = json.loads(out.split("WRKJSON ", 1)[1].splitlines()[0])
    stats["rps"] = round(stats["requests"] / (stats["duration_us"] / 1e6), 1)
    return stats


def post_throughput(cluster, clients, seconds):
    ours = wrk_posts(cluster, clients, seconds)
    theirs = pgbench(cluster, POST_SQL, clients, seconds=seconds)
    return {"clients": clients, "seconds": seconds, "ours": ours, "pgbench": theirs,
            "ratio": round(ours["rps"] / theirs["tps"], 3)}


def measure(size, args):
    rate, quick = args.rate, args.quick
    cluster = Cluster(f"pg-{size}")
    cluster.ensure()
    loaded = load(cluster, size)
    if args.load_only:
        cluster.stop()
        return None
    server = Server(cluster)
    server.start()
    admin = token("bench-admin", ["admin"])
    try:
        if args.reports_only:
            kept = WORK / f"result-{size}.json"
            result = json.loads(kept.read_text()) if kept.exists() else {"size": size,
                                                                         "load": loaded}
            result["reports"] = measure_reports(cluster, admin, quick)
            result["server_peak_rss_mib_reports"] = server.peak_rss_mib()
            # What keeping the report roll-ups costs each write (same wrk/pgbench pair as the
            # full run).
            result["writes_reports"] = post_throughput(cluster, clients=16,
                                                       seconds=5 if quick else 10)
            (WORK / f"result-{size}.json").write_text(json.dumps(result))
            return result
        if args.as_of:
            dates = (as_of_dates() if args.as_of == "auto"
                     else [dt.date.fromisoformat(d) for d in args.as_of.split(",")])
            result = {"size": size, "load": loaded,
                      "as_of": measure_as_of(cluster, admin, dates, size, args.requests,
                                             args.periods),
                      "campaign": (measure_campaign_alone(cluster, admin, size, args.requests)
                                   if not args.periods or "campaign" in args.periods else []),
                      # As of the last of the dates (by default the second of January: a year
                      # of history on one side, a few days of it on the other).
                      "standings": (measure_standings(cluster, admin, dates[-1], size,
                                                      args.requests)
                                    if not args.periods else []),
                      "server_peak_rss_mib": server.peak_rss_mib(),
                      "storage": storage(cluster, size)}
            (WORK / f"result-as-of-{size}.json").write_text(json.dumps(result))
            return result
        campaign_id = ensure_campaign(admin)
        campaign_days = cluster.psql(
            f"SELECT starts_on || ',' || ends_on FROM campaigns WHERE id = '{campaign_id}'").split(",")
        boards = []
        urls = board_urls(cluster, campaign_id)
        for board, period, variant, url in urls:
            oha(url, admin, duration=1)  # warm the caches for this board
            # Spans that add up several buckets are measured at a lower fixed rate.
            fixed_rate = rate if period in CALENDAR else args.span_rate
            fixed = oha(url, admin, rate=fixed_rate, duration=2 if quick else 4)
            peak = oha(url, admin, duration=2 if quick else 3)
            entry = {"board": board, "period": period, "variant": variant, "rate": fixed_rate,
                     "p50_ms": fixed["p50_ms"], "p99_ms": fixed["p99_ms"],
                     "non_200": fixed["non_200"] + peak["non_200"], "max_rps": peak["rps"]}
            if variant == "none":
                naive = pgbench(cluster, naive_sql(board, period, campaign_days), 1,
                                transactions=2 if size > 1_000_000 else 5)
                entry["naive_ms"] = naive["latency_avg_ms"]
                entry["ours_over_naive"] = round(fixed["p50_ms"] / naive["latency_avg_ms"], 4)
            log(size, board, period, variant, entry)
            boards.append(entry)
        reports = measure_reports(cluster, admin, quick)
        writes = post_throughput(cluster, clients=16, seconds=5 if quick else 10)
        log(size, "writes", writes)
        result = {"size": size, "load": loaded, "boards": boards, "writes": writes,
                  "reports": reports,
                  "server_peak_rss_mib": server.peak_rss_mib(), "url_example": urls[0][3]}
        # Kept at once, so a failure later does not lose a long measurement.
        (WORK / f"result-{size}.json").write_text(json.dumps(result))
        return result
    finally:
        server.stop()
        cluster.stop()


def storage(cluster, size):
    """What the data set takes: the database, the tallies with their indexes, per shout-out."""
    total = int(cluster.psql("SELECT pg_database_size('shoutout')"))
    tallies = int(cluster.psql("SELECT pg_total_relation_size('tallies')"))
    rows = int(cluster.psql("SELECT count(*) FROM tallies"))
    # Where the bytes are: each table of at least 1% of the database, its rows and its
    # indexes, per shout-out (what the storage aim is weighed in).
    by_table = json.loads(cluster.psql(
        "SELECT coalesce(json_agg(t ORDER BY t.total DESC), '[]') FROM ("
        " SELECT c.relname AS name, pg_total_relation_size(c.oid) AS total,"
        "  pg_table_size(c.oid) AS heap,"
        "  (SELECT coalesce(json_object_agg(i.relname, pg_relation_size(i.oid)"
        "          ORDER BY pg_relation_size(i.oid) DESC), '{}')"
        "   FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        "   WHERE x.indrelid = c.oid) AS indexes"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        "   AND pg_total_relation_size(c.oid) >= pg_database_size(current_database()) / 100"
        ") t"))
    return {"database_bytes": total, "tallies_bytes": tallies, "tally_rows": rows,
            "bytes_per_shoutout": round(total / size), "tally_bytes_per_shoutout": round(tallies / size),
            "by_table": by_table}


def storage_lines(st, size):
    """The storage breakdown as a Markdown table: bytes per shout-out, each table's rows
    (heap, with TOAST) and each of its indexes."""
    lines = ["| table | all | heap | indexes (bytes per shout-out) |", "|---|---|---|---|"]
    for t in st.get("by_table", []):
        indexes = ", ".join(f"{name} {round(b / size)}" for name, b in t["indexes"].items())
        lines.append(f"| {t['name']} | {round(t['total'] / size):,} | {round(t['heap'] / size):,} "
                     f"| {indexes} |")
    return lines


def git_commit():
    """The short hash of the commit measured, `-dirty` when the work tree differs from it."""
    head = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
               capture_output=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "diff", "--quiet", "HEAD"]).returncode != 0
    return head + ("-dirty" if dirty else "")


RESULTS = ROOT / "bench" / "results"


def write_results(name, lines, data):
    """The report `lines` as bench/results/NAME.md, and the raw `data` beside it as NAME.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    log("wrote", RESULTS / f"{name}.md")


def as_of_report(results, args):
    """With --as-of: each board alone as of each date, beside the naive GROUP BY."""
    today = dt.date.today().isoformat()
    RESULTS.mkdir(parents=True, exist_ok=True)
    commit = git_commit()
    # Named by the commit and the periods too: a second run on the same day (another commit,
    # or other periods) must not overwrite the first.
    name = f"{today}-as-of-{commit}" + ("-" + "+".join(args.periods) if args.periods else "")
    data = {"date": today, "commit": commit, "machine": machine(),
            "postgres_settings": PG_SETTINGS,
            "command": "bench/run " + " ".join(sys.argv[1:]), "runs": results}
    # The raw numbers first: a report that fails to format loses nothing measured.
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    lines = [f"# Leaderboards as of several dates, {today} (commit {commit})", "",
             f"Command: `{data['command']}` (see bench/README.md). Raw numbers: "
             f"`{name}.json`.", "", "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in data["machine"].items()]
    lines += ["", f"Each board alone: one connection, {args.requests} requests in a row (oha), "
              "p50 and p99; `at` (or a custom span's `to`) is the date. Naive: the GROUP BY over "
              "the raw rows of the same days (pgbench, one client, average). Worst = the highest "
              "p99 and the highest ours/naive over every board, filter and date.", ""]
    for r in results:
        st = r["storage"]
        lines += [f"## {r['size']:,} shout-outs", "",
                  f"Storage: database {st['database_bytes'] / 2**20:,.0f} MiB "
                  f"({st['bytes_per_shoutout']:,} bytes per shout-out), tallies with indexes "
                  f"{st['tallies_bytes'] / 2**20:,.0f} MiB ({st['tally_rows']:,} rows, "
                  f"{st['tally_bytes_per_shoutout']:,} bytes per shout-out). Load: {r['load']}.", "",
                  *storage_lines(st, r["size"]), "",
                  "| board | period | filter | " + " | ".join(
                      f"{d} p50 / p99 ms (naive)" for d in sorted({e['as_of'] for e in r['as_of']})) +
                  " | worst p99 | worst ours/naive |",
                  "|---|---|---|" + "---|" * (len({e['as_of'] for e in r['as_of']}) + 2)]
        keyed = {}
        for e in r["as_of"]:
            keyed.setdefault((e["board"], e["period"], e["variant"]), {})[e["as_of"]] = e
        naive_of = {(e["board"], e["period"], e["as_of"]): e.get("naive_ms")
                    for e in r["as_of"] if e["variant"] == "none"}
        for (board, period, variant), by_date in keyed.items():
            cells = []
            for d in sorted(by_date):
                e = by_date[d]
                naive = naive_of.get((board, period, d))
                cells.append(f"{e['p50_ms']} / {e['p99_ms']}" + (f" ({naive})" if variant == "none" else ""))
            worst = max(e["p99_ms"] for e in by_date.values())
            ratios = [e["ours_over_naive"] for e in by_date.values() if "ours_over_naive" in e]
            lines.append(f"| {board} | {period} | {variant} | " + " | ".join(cells) +
                         f" | {worst} | {max(ratios) if ratios else ''} |")
        lines.append("")
        if r.get("campaign"):
            lines += ["Campaign boards (Customer Service Week of last year, its own days), alone:",
                      "", "| board | filter | p50 / p99 ms | naive ms | ours/naive |",
                      "|---|---|---|---|---|"]
            lines += [f"| {e['board']} | {e['variant']} | {e['p50_ms']} / {e['p99_ms']} | "
                      f"{e.get('naive_ms', '')} | {e.get('ours_over_naive', '')} |"
                      for e in r["campaign"]]
            lines.append("")
        if r.get("standings"):
            lines += [f"Standings (`GET /api/v1/leaderboards/{{board}}/{{id}}`, two neighbours) as of "
                      f"{r['standings'][0]['as_of']}, alone, of the first, the middle and the last "
                      "line of the plain GROUP BY (by count, then id); naive: that GROUP BY of the "
                      "whole board:", "",
                      "| board | period | place | p50 / p99 ms | naive ms | ours/naive |",
                      "|---|---|---|---|---|---|"]
            lines += [f"| {e['board']} | {e['period']} | {e['place']} | {e['p50_ms']} / "
                      f"{e['p99_ms']} | {e['naive_ms']} | {e['ours_over_naive']} |"
                      for e in r["standings"]]
            lines.append("")
    write_results(name, lines, data)


REPORT_TEAMS = [("Department 3.4", "a department"), ("Division 3", "a division")]
REPORT_RATE = 2


def measure_reports(cluster, admin, quick):
    """A team's manager report over the last year, for a department and for a division."""
    today = dt.date.today()
    since = today - dt.timedelta(days=364)
    results = []
    for name, kind in REPORT_TEAMS:
        team = cluster.psql(f"SELECT id FROM teams WHERE name = '{name}'")
        people = int(cluster.psql(
            f"SELECT count(*) FROM employees WHERE team_id = ANY(team_subtree('{team}'))"))
        url = (f"http://127.0.0.1:{PORT}/api/v1/reports/teams/{team}"
               f"?from={since}&to={today}")
        oha(url, admin, duration=1, connections=1)  # warm the caches
        fixed = oha(url, admin, rate=REPORT_RATE, duration=5 if quick else 10, connections=4)
        peak = oha(url, admin, duration=3, connections=4)
        entry = {"team": name, "kind": kind, "people": people, "from": str(since),
                 "to": str(today), "rate": REPORT_RATE, "p50_ms": fixed["p50_ms"],
                 "p99_ms": fixed["p99_ms"], "max_rps": peak["rps"],
                 "non_200": fixed["non_200"] + peak["non_200"]}
        log(cluster.root.name, "report", entry)
        results.append(entry)
    return results


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines()
               if l.startswith("MemTotal"))
    pg = run([pg_bin("postgres"), "--version"], capture_output=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(int(mem) / 1024 / 1024, 1),
            "kernel": platform.release(), "postgres": pg,
            "oha": run([OHA, "--version"], capture_output=True).stdout.strip(),
            # `wrk -v` prints its version and exits 1.
            "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0].strip()}


def report(results, args):
    today = dt.date.today().isoformat()
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"date": today, "machine": machine(), "postgres_settings": PG_SETTINGS,
            "fixed_rate_rps": args.rate, "command": "bench/run " + " ".join(sys.argv[1:]),
            "runs": results}
    # The raw numbers first: a report that fails to format loses nothing measured.
    (RESULTS / f"{today}-leaderboards.json").write_text(json.dumps(data, indent=2) + "\n")
    small = {(b["board"], b["period"], b["variant"]): b for b in results[0]["boards"]}
    large_run = results[-1]
    lines = [f"# Leaderboard benchmark, {today}", "",
             f"Command: `{data['command']}` (see bench/README.md). Raw numbers: "
             f"`{today}-leaderboards.json`.", "",
             "## Machine", ""]
    for k, v in data["machine"].items():
        lines.append(f"- {k}: {v}")
    lines += ["", "PostgreSQL on the same machine, Unix socket: " +
              ", ".join(f"`{k}={v}`" for k, v in PG_SETTINGS.items()), ""]
    for r in results:
        lines.append(f"- {r['size']:,} shout-outs: load {r['load']}; server peak RSS "
                     f"{r['server_peak_rss_mib']} MiB")
    lines += ["", f"## Boards at {large_run['size']:,} shout-outs", "",
              f"Latency at a fixed {args.rate} requests/s ({args.span_rate}/s for rolling and custom "
              "spans, which add up several buckets) (oha, open loop, latency-corrected, "
              "16 connections); max throughput with 16 connections; naive = the GROUP BY over the "
              "raw rows of the period (pgbench, one client, average); large/small = p99 here over "
              f"p99 at {results[0]['size']:,}.", "",
              "| board | period | filter | p50 ms | p99 ms | max req/s | naive ms | ours/naive | p99 large/small |",
              "|---|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for b in large_run["boards"]:
        s = small.get((b["board"], b["period"], b["variant"]))
        growth = round(b["p99_ms"] / s["p99_ms"], 2) if s and s["p99_ms"] else None
        b["p99_large_over_small"] = growth
        lines.append(f"| {b['board']} | {b['period']} | {b['variant']} | {b['p50_ms']} | "
                     f"{b['p99_ms']} | {b['max_rps']} | {b.get('naive_ms', '')} | "
                     f"{b.get('ours_over_naive', '')} | {growth} |")
        if b["period"] in CALENDAR:
            ok = b["p50_ms"] < 2 and b["p99_ms"] < 10 and b["max_rps"] >= 2000 and (
                growth is None or growth <= 1.5)
        else:
            ok = b["p99_ms"] < 50
        if not ok:
            verdicts.append(f"{b['board']}/{b['period']}/{b['variant']}")
    w = large_run["writes"]
    lines += ["", "## Writes", "",
              f"`POST /api/v1/shoutouts` with wrk ({w['clients']} connections, {w['seconds']} s, "
              f"random giver and recipient among 2,000 people): {w['ours']['rps']} req/s "
              f"(p50 {w['ours']['p50_ms']} ms, p99 {w['ours']['p99_ms']} ms, non-2xx "
              f"{w['ours']['non_2xx']}). pgbench running the same statements in one transaction "
              f"({w['clients']} clients): {w['pgbench']['tps']} tps. Ratio ours/pgbench: "
              f"**{w['ratio']}** (target at least 0.6).", "",
              ""]
    lines += ["## Manager reports", "",
              f"`GET /api/v1/reports/teams/{{id}}` for the last 365 days, at a fixed "
              f"{REPORT_RATE} requests/s (oha, open loop, latency-corrected) and at most with 4 "
              "connections. Target: under 200 ms at the large size.", "",
              "| shout-outs | team | people | p50 ms | p99 ms | max req/s |",
              "|---|---|---|---|---|---|"]
    for r in results:
        for rep in r.get("reports", []):
            lines.append(f"| {r['size']:,} | {rep['team']} ({rep['kind']}) | {rep['people']:,} | "
                         f"{rep['p50_ms']} | {rep['p99_ms']} | {rep['max_rps']} |")
            if r is large_run and rep["p99_ms"] >= 200:
                verdicts.append(f"report/{rep['team']}")
    lines += ["", "## Targets", ""]
    if verdicts:
        lines.append("Missed on: " + ", ".join(verdicts))
    else:
        lines.append("Every board meets its latency and throughput target.")
    write_results(f"{today}-leaderboards", lines, data)


def reports_report(results, args):
    """With --reports-only: the manager reports alone, in a file of their own."""
    today = dt.date.today().isoformat()
    data = {"date": today, "machine": machine(), "postgres_settings": PG_SETTINGS,
            "command": "bench/run " + " ".join(sys.argv[1:]),
            "runs": [{"size": r["size"], "reports": r["reports"],
                      "server_peak_rss_mib": r.get("server_peak_rss_mib_reports"),
                      "load": r.get("load"), "writes": r.get("writes_reports")}
                     for r in results]}
    lines = [f"# Manager report benchmark, {today}", "",
             f"Command: `{data['command']}` (see bench/README.md). Raw numbers: "
             f"`{today}-reports.json`.", "", "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in data["machine"].items()]
    lines += ["", f"`GET /api/v1/reports/teams/{{id}}` for the last 365 days, at a fixed "
              f"{REPORT_RATE} requests/s (oha, open loop, latency-corrected) and at most with 4 "
              "connections. Target: under 200 ms at the large size.", "",
              "| shout-outs | team | people | p50 ms | p99 ms | max req/s | server peak RSS MiB |",
              "|---|---|---|---|---|---|---|"]
    for r in data["runs"]:
        for rep in r["reports"]:
            lines.append(f"| {r['size']:,} | {rep['team']} ({rep['kind']}) | {rep['people']:,} | "
                         f"{rep['p50_ms']} | {rep['p99_ms']} | {rep['max_rps']} | "
                         f"{r['server_peak_rss_mib']} |")
    lines += ["", "Writes with the roll-ups' triggers: `POST /api/v1/shoutouts` with wrk (16 "
              "connections) against pgbench running the same statements (whose inserts fire the "
              "same triggers).", "",
              "| shout-outs | ours req/s | p50 ms | p99 ms | non-2xx | pgbench tps | ratio |",
              "|---|---|---|---|---|---|---|"]
    for r in data["runs"]:
        w = r["writes"]
        if w:
            o = w["ours"]
            lines.append(f"| {r['size']:,} | {o['rps']} | {o['p50_ms']} | "
                         f"{o['p99_ms']} | {o['non_2xx']} | "
                         f"{w['pgbench']['tps']} | {w['ratio']} |")
    lines += ["", "Data sets (load timings in seconds, rows):", ""]
    lines += [f"- {r['size']:,}: {r['load']}" for r in data["runs"]]
    write_results(f"{today}-reports", lines, data)


# A webhook receiver for the benchmark: answers every POST with 204 at once, or after 3 s on a
# path ending in /slow (Python's threading HTTP server, keep-alive), on a free loopback port it
# prints first.
RECEIVER_PY = r"""
import http.server, time
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.path.endswith("/slow"):
            time.sleep(3)
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def measure_webhooks(size, args):
    """POST /shoutouts throughput with no webhook endpoint and with three (standard format, a
    local receiver), then how fast the workers drain the outbox."""
    cluster = Cluster(f"pg-{size}")
    cluster.ensure()
    loaded = load(cluster, size)
    seconds = 5 if args.quick else 10
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER_PY], stdout=subprocess.PIPE,
                                text=True)
    receiver_port = int(receiver.stdout.readline())
    server = Server(cluster, env={"SHOUTOUT_WEBHOOKS_ALLOW_PRIVATE": "true"})
    server.start()
    admin = token("bench-admin", ["admin"])
    result = {"size": size, "load": loaded, "seconds": seconds}
    try:
        cluster.psql("DELETE FROM webhook_endpoints")
        result["none"] = post_throughput(cluster, clients=16, seconds=seconds)
        def register(path):
            body = json.dumps({"url": f"http://127.0.0.1:{receiver_port}{path}",
                               "events": ["shoutout.published"]})
            run(["curl", "-sf", "-o", "/dev/null", "-X", "POST", "-H", f"Authorization: Bearer {admin}",
                 "-H", "Content-Type: application/json", "-d", body,
                 f"http://127.0.0.1:{PORT}/api/v1/webhooks"])
        for n in range(3):
            register(f"/hook{n}")
        result["three"] = post_throughput(cluster, clients=16, seconds=seconds)
        backlog_sql = ("SELECT (SELECT count(*) FROM webhook_deliveries WHERE status IN "
                       "('pending', 'retrying')) + (SELECT count(*) FROM outbox_events "
                       "WHERE fanned_out_at IS NULL)")
        result["backlog_after_load"] = int(cluster.psql(backlog_sql))
        started = time.time()
        while int(cluster.psql(backlog_sql)) > 0 and time.time() - started < 900:
            time.sleep(0.5)
        result["drain_after_load_s"] = round(time.time() - started, 1)
        row = cluster.psql(
            "SELECT count(*) || ',' || coalesce(extract(epoch FROM max(completed_at) - "
            "min(created_at)), 0) || ',' || count(*) FILTER (WHERE status <> 'succeeded') "
            "FROM webhook_deliveries").split(",")
        delivered, span, not_succeeded = int(row[0]), float(row[1]), int(row[2])
        result["deliveries"] = delivered
        result["not_succeeded"] = not_succeeded
        result["drain_rate_per_s"] = round(delivered / span, 1) if span else None
        # A slow receiver (3 s an answer) beside two quick ones: the API and the quick
        # endpoints must not notice it.
        cluster.psql("DELETE FROM webhook_endpoints")
        for path in ["/quick0", "/quick1", "/slow"]:
            register(path)
        result["one_slow"] = post_throughput(cluster, clients=16, seconds=seconds)
        time.sleep(5)
        per_endpoint = cluster.psql(
            "SELECT e.url || ' ' || count(*) FILTER (WHERE d.status = 'succeeded') || ' ' || "
            "count(*) FROM webhook_endpoints e JOIN webhook_deliveries d ON d.endpoint_id = e.id "
            "GROUP BY e.url ORDER BY e.url")
        result["one_slow_delivered"] = {
            line.split()[0].rsplit("/", 1)[1]: {"succeeded": int(line.split()[1]),
                                                 "queued": int(line.split()[2])}
            for line in per_endpoint.splitlines()}
        cluster.psql("DELETE FROM webhook_endpoints")
        result["server_peak_rss_mib"] = server.peak_rss_mib()
    finally:
        server.stop()
        receiver.kill()
        cluster.stop()
    return result


def webhooks_report(result, args):
    today = dt.date.today().isoformat()
    info = machine()
    none, three = result["none"], result["three"]
    lines = [f"# Webhooks benchmark, {today}", "",
             f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; "
             f"{info['postgres']}; {info['wrk']}.", "",
             f"Command: `bench/run --webhooks{' --quick' if args.quick else ''} --small {result['size']}` "
             f"({result['size']:,} shout-outs loaded). `POST /api/v1/shoutouts` under wrk, 16 "
             f"connections, {result['seconds']} s, durable commits; beside it pgbench running the "
             "same transaction in SQL. Three endpoints: `standard` format, `shoutout.published`, "
             "a local receiver answering 204.", "",
             "| Endpoints | POST/s | p50 ms | p99 ms | pgbench tps | ratio |", "|---|---|---|---|---|---|"]
    for label, r in [("none", none), ("three", three),
                     ("two quick, one slow (3 s)", result["one_slow"])]:
        ours = r["ours"]
        lines.append(f"| {label} | {ours['rps']} | {ours.get('p50_ms', '')} | {ours.get('p99_ms', '')} | "
                     f"{r['pgbench']['tps']} | {r['ratio']} |")
    lines += ["", f"Throughput with three endpoints: {round(three['ours']['rps'] / none['ours']['rps'], 3)}x "
              "that with none.", "",
              f"Outbox: {result['backlog_after_load']:,} deliveries (or events) still open when the "
              f"load stopped, drained {result['drain_after_load_s']} s later; "
              f"{result['deliveries']:,} deliveries in all at {result['drain_rate_per_s']} per second "
              f"(first queued to last delivered, while the load ran and after), "
              f"{result['not_succeeded']} not succeeded. Server peak RSS "
              f"{result['server_peak_rss_mib']} MiB.", "",
              "With one receiver answering in 3 s beside two quick ones, 5 s after the load "
              "stopped (succeeded / queued): " + ", ".join(
                  f"{name} {v['succeeded']:,} / {v['queued']:,}"
                  for name, v in result["one_slow_delivered"].items()) + ".", ""]
    write_results(f"{today}-webhooks", lines, result)


class StreamReader:
    """Reads one instance's `/api/v1/stream` on a thread of its own and notes when each
    `published` event arrived (time.monotonic(), by shout-out id)."""

    def __init__(self, port, auth):
        import http.client
        import threading
        self.arrived = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.conn.request("GET", "/api/v1/stream", headers={
            "Authorization": f"Bearer {auth}", "Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        if self.response.status != 200:
            raise SystemExit(f"the stream on port {port} answered {self.response.status}")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        event = None
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "published":
                    self.arrived[json.loads(line[5:])["id"]] = time.monotonic()
                elif not line:
                    event = None
        except (OSError, ValueError, AttributeError):
            pass  # closed at the end of the run (http.client drops its socket: AttributeError)

    def close(self):
        self.conn.close()


def give_and_time(port, people, count, pause_s, readers):
    """`count` shout-outs, one at a time with `pause_s` between, each from and to people of
    `people` ((id, bearer) pairs); for each, the milliseconds from its 201 to its event on
    each reader's stream (None: never arrived)."""
    import http.client
    import itertools
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = []
    pairs = itertools.cycle(zip(people, people[1:] + people[:1]))
    for i in range(count):
        (_, auth), (rid, _) = next(pairs)
        body = json.dumps({"recipient_ids": [rid], "value": "helping_others",
                           "message": f"stream latency probe {i} {time.time()}"})
        conn.request("POST", "/api/v1/shoutouts", body=body, headers={
            "Authorization": f"Bearer {auth}", "Content-Type": "application/json"})
        response = conn.getresponse()
        answer = response.read()
        answered = time.monotonic()
        if response.status == 201:
            sent.append((json.loads(answer)["id"], answered))
        time.sleep(pause_s)
    time.sleep(3)  # the stragglers
    conn.close()
    return sent, [[round((r.arrived[i] - at) * 1000, 2) if i in r.arrived else None
                   for i, at in sent] for r in readers]


def latency_summary(values):
    arrived = sorted(v for v in values if v is not None)
    if not arrived:
        return {"arrived": 0, "missing": len(values)}
    pick = lambda q: arrived[min(len(arrived) - 1, int(q * len(arrived)))]
    return {"arrived": len(arrived), "missing": len(values) - len(arrived),
            "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": arrived[-1]}


def measure_stream(size, args):
    """How long a shout-out takes from its 201 to the live stream of the instance that took it
    and of another instance on the same database: alone, and under a write load."""
    cluster = Cluster(f"pg-{size}")
    cluster.ensure()
    loaded = load(cluster, size)
    other_port = free_port()
    servers = [Server(cluster), Server(cluster, port=other_port)]
    for server in servers:
        server.start()
    viewer = token("bench-admin", ["admin"])
    people = [(pid, token(ext, ["employee"])) for pid, ext in (
        line.split(",") for line in cluster.psql(
            "SELECT id || ',' || external_id FROM bench_active WHERE n >= 2000 AND n < 2050 "
            "ORDER BY n").splitlines())]
    count = 60 if args.quick else 300
    result = {"size": size, "load": loaded, "probes": count}
    readers = [StreamReader(PORT, viewer), StreamReader(other_port, viewer)]
    try:
        time.sleep(1)
        sent, latencies = give_and_time(PORT, people, count, 0.05, readers)
        result["alone"] = {"given": len(sent), "same_instance": latency_summary(latencies[0]),
                           "other_instance": latency_summary(latencies[1])}
        # The same probes while wrk gives beside them (the people of `post_throughput`, another
        # set): a steady load (4 connections, each pausing 50 ms between requests), then as
        # much as the service takes (16 connections, no pause).
        import threading
        seconds = max(10, int(count * 0.06) + 6)
        for key, clients, delay_ms in [("steady_load", 4, 50), ("saturated", 16, 0)]:
            load_result = {}
            writer = threading.Thread(target=lambda: load_result.update(
                wrk_posts(cluster, clients, seconds, delay_ms)))
            writer.start()
            time.sleep(2)
            sent, latencies = give_and_time(PORT, people, count, 0.05, readers)
            writer.join()
            result[key] = {"given": len(sent), "same_instance": latency_summary(latencies[0]),
                           "other_instance": latency_summary(latencies[1]),
                           "load_posts_per_s": load_result["rps"],
                           "load_p50_ms": load_result["p50_ms"], "load_p99_ms": load_result["p99_ms"]}
    finally:
        for reader in readers:
            reader.close()
        for server in servers:
            server.stop()
        cluster.stop()
    return result


def stream_report(result, args):
    today = dt.date.today().isoformat()
    info = machine()
    lines = [f"# Live stream latency, {today}", "",
             f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; "
             f"{info['postgres']}; {info['wrk']}. Commit {git_commit()}.", "",
             f"Command: `bench/run --stream{' --quick' if args.quick else ''} --small "
             f"{result['size']}` ({result['size']:,} shout-outs loaded). Two instances of the "
             "release server on one database, each with a stream open (`GET /api/v1/stream`, "
             f"an admin's token); {result['probes']} shout-outs given one at a time (50 ms "
             "apart) to the first; for each, the time from reading its 201 to reading its "
             "`published` event on each stream. Then the same while wrk gives beside them "
             "(durable commits): a steady load (4 connections, each pausing 50 ms between "
             "requests), and as much as the service takes (16 connections, no pause).", "",
             "| | given | stream | arrived | missing | p50 ms | p99 ms | max ms |",
             "|---|---|---|---|---|---|---|---|"]
    labels = [("alone", "alone"), ("steady_load", "a steady write load"),
              ("saturated", "saturated with writes")]
    for key, label in labels:
        r = result[key]
        for stream, name in [("same_instance", "the instance given to"),
                             ("other_instance", "the other instance")]:
            x = r[stream]
            lines.append(f"| {label} | {r['given']} | {name} | {x['arrived']} | {x['missing']} | "
                         f"{x.get('p50_ms', '')} | {x.get('p99_ms', '')} | {x.get('max_ms', '')} |")
    lines.append("")
    for key, label in labels[1:]:
        r = result[key]
        lines.append(f"- {label}: wrk's own POSTs at {r['load_posts_per_s']}/s, p50 "
                     f"{r['load_p50_ms']} ms, p99 {r['load_p99_ms']} ms.")
    lines.append("")
    write_results(f"{today}-stream", lines, result)


def period_list(text):
    """`--periods`: known period names only, so a typo is an error rather than an empty run."""
    periods = [p for p in text.split(",") if p]
    unknown = [p for p in periods if p not in PERIODS]
    if unknown or not periods:
        raise argparse.ArgumentTypeError(
            f"unknown period {', '.join(unknown) or '(none given)'}; known: {', '.join(PERIODS)}")
    return periods


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=10_000_000)
    parser.add_argument("--rate", type=int, default=500, help="fixed request rate for latencies")
    parser.add_argument("--reports-only", action="store_true",
                        help="measure only the manager reports (kept with the last measurements) and "
                        "write them to bench/results/DATE-reports.md")
    parser.add_argument("--span-rate", type=int, default=50,
                        help="fixed request rate for rolling and custom periods")
    parser.add_argument("--quick", action="store_true", help="shorter measurements")
    parser.add_argument("--load-only", action="store_true", help="only generate and load")
    parser.add_argument("--as-of", nargs="?", const="auto", default=None,
                        help="measure each board alone as of these dates (comma-separated; "
                        "default: today, the first, middle and last day of last month, 2 January)")
    parser.add_argument("--periods", default=None, type=period_list,
                        help="with --as-of, only these periods (comma-separated, e.g. "
                        "rolling_7d,rolling_30d,rolling_365d,custom)")
    parser.add_argument("--requests", type=int, default=20,
                        help="requests in a row per board with --as-of")
    parser.add_argument("--webhooks", action="store_true",
                        help="measure POST throughput with three webhook endpoints against none, "
                        "and the outbox's drain rate, on the small data set")
    parser.add_argument("--stream", action="store_true",
                        help="measure the live stream's latency (two instances, alone and under "
                        "a write load) on the --small set")
    parser.add_argument("--report-only", action="store_true",
                        help="write the report from the last measurements kept in BENCH_DIR")
    args = parser.parse_args()
    if args.periods and not args.as_of:
        parser.error("--periods goes with --as-of")
    WORK.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        sizes = [args.small] + ([args.large] if args.large != args.small else [])
        report([json.loads((WORK / f"result-{n}.json").read_text()) for n in sizes], args)
        return
    if args.webhooks:
        webhooks_report(measure_webhooks(args.small, args), args)
        return
    if args.stream:
        stream_report(measure_stream(args.small, args), args)
        return
    results = [measure(args.small, args)]
    if args.large != args.small:
        results.append(measure(args.large, args))
    if args.reports_only:
        reports_report(results, args)
    elif args.as_of:
        as_of_report(results, args)
    elif not args.load_only:
        report(results, args)


if __name__ == "__main__":
    main()
