import json, sys
d = json.load(sys.stdin)
p = d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
print(f"{sys.argv[1]:<17} {sys.argv[2]:<10} {sys.argv[3]:<13} p50 {p['p50']*1000:7.2f} ms  p99 {p['p99']*1000:7.2f} ms  200s {codes.get('200', 0)}", flush=True)
