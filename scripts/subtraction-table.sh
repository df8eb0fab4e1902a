#!/usr/bin/env bash
# Where the subtraction happens, weight slicing and the ADC range, side by side (issue 11):
# MLP and LeNet-5 on Fashion-MNIST, 256-row arrays, 8-bit weights and DAC inputs, ideal cells and
# ideal ADCs at 4 and 6 bits with a calibrated, bit-aware range per slice (asymmetric on a signed
# sum); differential vs offset mapping, no slicing (one 8-bit cell) vs 2x4-bit slices, analog vs
# digital subtraction. Every layer is analog. Prints (and writes runs/subtraction/table.md) the
# accuracy drop from the float network, in points.
# Usage: scripts/subtraction-table.sh [--test-limit N] [--seeds "1 2 3"]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
limit=10000
seeds="1"
while [ $# -gt 0 ]; do
  case "$1" in
    --test-limit) limit="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    *) echo "usage: $0 [--test-limit N] [--seeds \"1 2 3\"]" >&2; exit 2 ;;
  esac
done
out=runs/subtraction
mkdir -p "$out/configs"
dotnet build -c Release src/Imc.Cli -v q -nologo >/dev/null
imc=src/Imc.Cli/bin/Release/net10.0/imc

config() {  # name mapping bits_per_cell subtract adc_bits
  local asym=false
  [ "$4" = analog ] && asym=true
  cat > "$out/configs/$1.json" <<JSON
{
  "name": "$1",
  "core": { "rows": 256, "columns": 256, "mapping": "$2", "weight_bits": 8, "bits_per_cell": $3,
            "input_bits": 8, "input_mode": "dac", "subtract": "$4" },
  "adc": { "kind": "ideal", "bits": $5, "range": { "mode": "calibrated", "method": "mse", "asymmetric": $asym } }
}
JSON
}

table="$out/table.md"
{
  echo "| model | seed | float | ADC bits | mapping | slicing | analog subtraction | digital subtraction |"
  echo "|---|---:|---:|---:|---|---|---:|---:|"
} > "$table.tmp"
for model in mlp lenet5; do
  for seed in $seeds; do
    ckpt="$out/$model-seed$seed/$model.ckpt"
    [ -f "$ckpt" ] || "$imc" train --model "$model" --epochs 3 --seed "$seed" --out "$out/$model-seed$seed" >/dev/null
    float=$("$imc" eval --checkpoint "$ckpt" --test-limit "$limit" --json "$out/$model-seed$seed/float.json" >/dev/null && \
            python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['test_accuracy'])" "$out/$model-seed$seed/float.json")
    for bits in 4 6; do
      for mapping in differential offset; do
        for cell in 8 4; do
          slicing=$([ "$cell" = 8 ] && echo "none" || echo "2x4-bit")
          drops=()
          for subtract in analog digital; do
            name="$mapping-$cell-$subtract-$bits"
            config "$name" "$mapping" "$cell" "$subtract" "$bits"
            json="$out/$model-seed$seed/$name.json"
            "$imc" eval --checkpoint "$ckpt" --hw "$out/configs/$name.json" --test-limit "$limit" --json "$json" >/dev/null
            drops+=("$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(f\"{(float(sys.argv[2]) - r['test_accuracy']) * 100:.2f} ({r['test_accuracy'] * 100:.2f}%)\")" "$json" "$float")")
          done
          echo "| $model | $seed | $(python3 -c "print(f'{$float * 100:.2f}')") | $bits | $mapping | $slicing | ${drops[0]} | ${drops[1]} |" >> "$table.tmp"
        done
      done
    done
  done
done
mv "$table.tmp" "$table"
cat "$table"
