#!/usr/bin/env python3
"""Drop timings and paths from an imc JSON result so two runs of the same work compare equal.

Usage: strip-timings.py IN [OUT] [--points]
  OUT defaults to IN (rewritten, indented, keys sorted); --points keeps only the "points" of a
  sweep merge's {points, missing, complete} (a whole sweep's JSON is the list itself).
"""
import json
import sys

DROP = ("seconds", "plots", "checkpoint", "hardware_config", "images_per_second")


def clean(x):
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items() if k not in DROP}
    if isinstance(x, list):
        return [clean(v) for v in x]
    return x


args = [a for a in sys.argv[1:] if a != "--points"]
if not 1 <= len(args) <= 2:
    sys.exit(__doc__)
d = json.load(open(args[0]))
if "--points" in sys.argv and isinstance(d, dict):
    d = d["points"]
json.dump(clean(d), open(args[-1], "w"), indent=1, sort_keys=True)
