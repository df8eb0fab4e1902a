#!/usr/bin/env bash
# Numbers a refactoring must not change: every shipped ADC config's statistics (imc adc show),
# every shipped design's price (imc cost, LeNet-5) and Monte Carlo accuracy on four designs
# (imc eval --hw, 3 chips, 1,000 test images) and one short aware epoch on four. Writes one JSON per check into OUTDIR without
# timings; compare two runs with `diff -r OUT1 OUT2`.
# Usage: scripts/same-numbers.sh OUTDIR CHECKPOINT   (CHECKPOINT: a LeNet-5 trained on Fashion-MNIST)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"; ckpt="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
cd "$here"
dotnet build -c Release src/Imc.Cli -v q -nologo >/dev/null
imc=src/Imc.Cli/bin/Release/net10.0/imc
strip() { python3 "$here/scripts/strip-timings.py" "$1"; }  # drop timings and paths so two runs compare equal
for f in configs/adc/*.json experiments/adc/*.json; do
  n="adc-$(basename "$(dirname "$f")")-$(basename "$f" .json)"
  $imc adc show "$f" --chips 4 --per-chip 16 --out "$out/plots" --json "$out/$n.json" >/dev/null && strip "$out/$n.json"
done
for f in configs/*.json experiments/hw/*.json; do
  n="cost-$(basename "$f" .json)"
  $imc cost --hw "$f" --model lenet5 --json "$out/$n.json" >/dev/null && strip "$out/$n.json"
done
for f in configs/puma-reference.json experiments/hw/current-rram-cco.json experiments/hw/charge-cap-sar.json experiments/hw/current-rram-cco-realistic.json \
         experiments/hw/current-rram-cco-realistic-trim.json; do
  n="eval-$(basename "$f" .json)"
  $imc eval --checkpoint "$ckpt" --hw "$f" --chips 3 --test-limit 1000 --calibration-images 500 --json "$out/$n.json" >/dev/null && strip "$out/$n.json"
done
# One short aware epoch (peripheral-aware training: the surrogate, gates and straight-through nodes)
# on four designs: its loss and accuracy history.
for f in configs/puma-reference.json experiments/hw/current-rram-cco.json experiments/hw/charge-cap-sar-realistic.json experiments/hw/current-rram-cco-realistic.json; do
  n="aware-$(basename "$f" .json)"
  $imc train --hw "$f" --init "$ckpt" --epochs 1 --train-limit 1000 --test-limit 500 --calibration-images 200 \
    --out "$out/aware/$n" --json "$out/$n.json" >/dev/null && strip "$out/$n.json"
done
rm -rf "$out/aware"
ls "$out" | grep -c json
