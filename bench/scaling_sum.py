"""Sums several oha JSON outputs (files given as arguments) into one row of bench/scaling's
table: total requests per second, and the worst p50 and p99 among them."""
import json
import sys

label, files = sys.argv[1], sys.argv[2:]
runs = [json.load(open(f)) for f in files]
rps = sum(r["summary"]["requestsPerSec"] for r in runs)
p50 = max(r["latencyPercentiles"]["p50"] for r in runs) * 1000
p99 = max(r["latencyPercentiles"]["p99"] for r in runs) * 1000
codes = {}
for r in runs:
    for code, n in r.get("statusCodeDistribution", {}).items():
        codes[code] = codes.get(code, 0) + n
shown = ", ".join(f"{n}x{code}" for code, n in sorted(codes.items()))
print(f"| {label} | {rps:.0f} | {p50:.1f} | {p99:.1f} | {shown} |")
