#!/usr/bin/env python3
# The stall probe of the restripe tests: back-to-back 4 KiB reads of one
# export, each timestamped; runs until the file named by --until exists
# (or --seconds pass, at most 60), then prints one JSON object: reads, the
# longest gap between two completions (ms), and when it ended relative to
# the start (s), plus the median gap. A pause in serving shows as a gap.
import argparse, json, os, statistics, sys, time
import nbd

ap = argparse.ArgumentParser()
ap.add_argument("uri")
ap.add_argument("--until", help="stop once this file exists")
ap.add_argument("--ready", help="create this file once connected")
ap.add_argument("--seconds", type=float, default=10)
a = ap.parse_args()
h = nbd.NBD()
h.connect_uri(a.uri)
size = h.get_size()
if a.ready:
    open(a.ready, "w").close()
t0 = last = time.monotonic()
gaps, worst, worst_at, off, n = [], 0.0, 0.0, 0, 0
deadline = t0 + min(a.seconds, 60)
while time.monotonic() < deadline and not (a.until and os.path.exists(a.until)):
    h.pread(4096, off)
    off = (off + (1 << 20) + 4096) % (size - 4096) // 4096 * 4096
    now = time.monotonic()
    gap = now - last
    gaps.append(gap)
    if gap > worst:
        worst, worst_at = gap, now - t0
    last = now
    n += 1
h.shutdown()
json.dump({"reads": n, "max_gap_ms": round(worst * 1000, 3), "max_gap_at_s": round(worst_at, 3),
           "median_gap_ms": round(statistics.median(gaps) * 1000, 3) if gaps else None},
          sys.stdout)
print()
