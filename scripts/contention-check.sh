#!/usr/bin/env bash
# Two `imc eval` processes on one machine against one alone (issue 13's contention figures):
# LeNet-5 checkpoint CKPT on configs/puma-reference.json, 2 chips, 2,000 test images each.
# Prints, per repeat, the wall time of one alone and of two side by side, and their aggregate
# throughput ratio (2 x alone / pair). SPIN sets GOMP_SPINCOUNT (default: imc's own setting).
# Run it on a quiet machine. Usage: scripts/contention-check.sh CKPT [REPEATS] [SPIN]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ckpt="$1"; repeats="${2:-3}"; spin="${3:-}"
cd "$here"
dotnet build -c Release src/Imc.Cli -v q -nologo >/dev/null
imc=src/Imc.Cli/bin/Release/net10.0/imc
run() { if [ -n "$spin" ]; then export GOMP_SPINCOUNT="$spin"; fi
        "$imc" eval --checkpoint "$ckpt" --hw configs/puma-reference.json --chips 2 --test-limit 2000 --calibration-images 500 >/dev/null; }
for r in $(seq "$repeats"); do
  s=$(date +%s.%N); run; e=$(date +%s.%N); alone=$(echo "$e - $s" | bc)
  s=$(date +%s.%N); run & run & wait; e=$(date +%s.%N); pair=$(echo "$e - $s" | bc)
  echo "spin=${spin:-imc} alone=${alone}s pair=${pair}s ratio=$(echo "scale=2; 2 * $alone / $pair" | bc)"
done
