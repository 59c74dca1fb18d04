"""One row of bench/scaling's table from oha's JSON output (standard input)."""
import json
import sys

data = json.load(sys.stdin)
summary, latency = data["summary"], data["latencyPercentiles"]
codes = ", ".join(f"{n}x{code}" for code, n in sorted(data.get("statusCodeDistribution", {}).items()))
print(f"| {sys.argv[1]} | {summary['requestsPerSec']:.0f} | {latency['p50'] * 1000:.1f} "
      f"| {latency['p99'] * 1000:.1f} | {codes} |")
