#!/usr/bin/env python3
"""What the day ceilings cost a give, on one loaded data set: the give's statements (those of
the service's POST /shoutouts, as the benchmark's write path runs them) with pgbench, one
client, rolled back so the set does not grow, under three ways of keeping the ceilings, in
turn for several rounds (the machine's drift then falls on all three alike):

- `filtered`: as migrations hold them now (a day is counted only where the person's week,
  just written, is above the day's ceiling: 000030);
- `counted`: every written person's day counted from the raw rows (as 000029 did);
- `off`: the ceiling triggers disabled (what a give cost before 000029).

Each configuration is set inside the data set's database and put back at the end.

    bench/write_cost.py [SIZE] [ROUNDS] [TRANSACTIONS]   # a set bench/run loaded (100000)
"""
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
transactions = int(sys.argv[3]) if len(sys.argv) > 3 else 1500
cluster = bench.Cluster(f"pg-{size}")
cluster.ensure()

GIVE = bench.POST_SQL.replace("END;\n", "ROLLBACK;\n")
assert GIVE != bench.POST_SQL
TRIGGERS = [("shoutouts", "tally_shoutouts_inserted_ceilings"),
            ("shoutout_recipients", "tally_recipients_inserted_ceilings")]
FILTERED = cluster.psql(
    "SELECT pg_get_functiondef('tally_raise_ceilings(smallint, uuid[], timestamptz[])'::regprocedure)")
COUNTED = """CREATE OR REPLACE FUNCTION tally_raise_ceilings(p_board smallint, p_subjects uuid[],
    p_at timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tally_count_ceilings(p_board, p_subjects, p_at);
END $$;"""


def triggers(enable):
    for table, name in TRIGGERS:
        cluster.psql(f"ALTER TABLE {table} {'ENABLE' if enable else 'DISABLE'} TRIGGER {name}")


def configure(how):
    triggers(how != "off")
    cluster.psql(COUNTED if how == "counted" else FILTERED)


seen = {"filtered": [], "counted": [], "off": []}
try:
    for _ in range(rounds):
        for how in seen:
            configure(how)
            result = bench.pgbench(cluster, GIVE, 1, transactions=transactions)
            seen[how].append(result["latency_avg_ms"])
            bench.log(size, "give", how, result)
finally:
    configure("filtered")

print(f"| ceilings | ms per give (pgbench, 1 client, {transactions} gives x {rounds} rounds) | median |")
print("|---|---|---|")
for how, latencies in seen.items():
    print(f"| {how} | {', '.join(f'{x:.3f}' for x in latencies)} | {statistics.median(latencies):.3f} |")
