#!/usr/bin/env bash
# Peak resident memory of `imc eval` (issue 13's memory figures): checkpoint CKPT on the settings
# shared with other simulators (configs/compare/*.json) and on configs/puma-reference.json, the full
# test set (or IMAGES images), one chip, by default and with --low-memory. Each line: the setting,
# the mode, peak RSS (MB, GNU time's maximum resident set) and wall time. Run it on a quiet machine.
# Usage: scripts/memory-check.sh CKPT [IMAGES] [REPEATS]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ckpt="$1"; images="${2:-10000}"; repeats="${3:-1}"
[ -x /usr/bin/time ] || { echo "memory-check: needs GNU time (apt-get install time)" >&2; exit 2; }
cd "$here"
dotnet build -c Release src/Imc.Cli -v q -nologo >/dev/null
imc=src/Imc.Cli/bin/Release/net10.0/imc
for hw in configs/compare/256-dac-6b.json configs/compare/256-slices-6b.json configs/compare/256-bit-serial-6b.json configs/puma-reference.json; do
  for mode in default --low-memory; do
    for r in $(seq "$repeats"); do
      flag=(); [ "$mode" = default ] || flag=("$mode")
      /usr/bin/time -f "%M %e" -o /tmp/imc-memory-check.$$ "$imc" eval --checkpoint "$ckpt" --hw "$hw" --chips 1 --test-limit "$images" "${flag[@]}" >/dev/null
      read -r kb secs < /tmp/imc-memory-check.$$
      printf '%-40s %-13s %6d MB %7.2f s\n' "$(basename "$hw" .json)" "$mode" $((kb / 1024)) "$secs"
    done
  done
done
rm -f /tmp/imc-memory-check.$$
