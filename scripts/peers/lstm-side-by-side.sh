#!/usr/bin/env bash
# ImcSharp's analog LSTM against aihwkit's (AnalogRNN of AnalogLSTMCell, its pure-torch inference tile) and against
# PyTorch's float LSTM, on the same weights (issue 30): an LSTM of 128 units over the 28 rows of a Fashion-MNIST image,
# trained in PyTorch (scripts/peers/lstm_peers.py train), imported into ImcSharp through ONNX. Setting shared with
# the harness's dac6 / adc6_noise0: 8-bit inputs, 8-bit weights, 6-bit outputs with a calibrated range, no noise,
# 256-row arrays (configs/compare/256-dac-6b.json). Needs the peers harness (../shared/peers, its README: aihwkit's
# sources under $PEERS/aihwkit, OpenBLAS under $PEERS/openblas) and Debian's python3-torch. About 4 minutes; run it on
# an idle machine.
# ImcSharp's throughput is 9,500 / (t(10,000 images) - t(500 images)) of whole `imc eval` processes (start-up,
# calibration and programming cancel out; the faster of two runs each); the peers' is their in-process inference time
# over 10,000 images (median of three). Usage: PEERS=/some/dir [HARNESS=../shared/peers] scripts/peers/lstm-side-by-side.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${PEERS:?set PEERS (the folder with aihwkit/, see the harness README)}"
harness="${HARNESS:-$here/../shared/peers}"
[ -f "$harness/aih_run.py" ] || { echo "lstm-side-by-side: no harness at $harness (set HARNESS)" >&2; exit 2; }
[ -d "$PEERS/aihwkit/src" ] || { echo "lstm-side-by-side: $PEERS/aihwkit is missing (see $harness/README.md)" >&2; exit 2; }
PY=/usr/bin/python3
export PEERS PYTHONPATH="$PEERS/aihwkit/src:$harness"
# PyTorch and aihwkit on OpenBLAS (the harness README's step 4): Debian's default BLAS is the slow reference one.
ob="$PEERS/openblas/root/usr/lib/x86_64-linux-gnu/openblas-pthread"
[ -d "$ob" ] || { echo "lstm-side-by-side: $ob is missing (see $harness/README.md, Set up, step 4)" >&2; exit 2; }
OB="env LD_LIBRARY_PATH=$ob BLAS_TAG=openblas-0.3.21"
L="$PEERS/results/lstm"; mkdir -p "$L" "$PEERS/models" "$PEERS/imc"
exec > >(tee "$L/side_by_side.log") 2>&1
dotnet build -c Release "$here/src/Imc.Cli" -v q -nologo >/dev/null
IMC="$here/src/Imc.Cli/bin/Release/net10.0/imc"
[ -f "$PEERS/models/lstm.pt" ] || (cd "$harness" && $PY "$here/scripts/peers/lstm_peers.py" train)
"$IMC" import "$PEERS/models/lstm.onnx" --out "$PEERS/imc/lstm.ckpt" --mean 0 --std 1 > "$L/import.log" 2>&1
echo "import rc=$?"
T() { /usr/bin/time -f "%e" -o "$L/time.tmp" "$@" > "$L/last.log" 2>&1; cat "$L/time.tmp"; }
for n in 500 10000; do for r in 1 2; do
  echo "IMC float n=$n r=$r $(T "$IMC" eval --checkpoint "$PEERS/imc/lstm.ckpt" --test-limit $n --json "$L/float-$n.json")"
  echo "IMC dac6 n=$n r=$r $(T "$IMC" eval --checkpoint "$PEERS/imc/lstm.ckpt" --hw "$here/configs/compare/256-dac-6b.json" \
    --test-limit $n --json "$L/dac6-$n.json")"
done; done
for mode in float aihwkit; do
  echo "PEER $mode $(cd "$harness" && $OB $PY "$here/scripts/peers/lstm_peers.py" $mode 2>"$L/$mode.err" | grep RESULT | tail -1)"
done
$PY - "$L" <<'PY'
import json, re, sys
d = sys.argv[1]
log = open(f"{d}/side_by_side.log").read()
t = {}
for s, n, sec in re.findall(r"IMC (\w+) n=(\d+) r=\d (\S+)", log):
    t.setdefault((s, int(n)), []).append(float(sec))
peers = {m: json.loads(r) for m, r in re.findall(r"PEER (\w+) RESULT (\{.*\})", log)}
imc = {s: 9500 / (min(t[(s, 10000)]) - min(t[(s, 500)])) for s in ("float", "dac6")}
acc = {s: json.load(open(f"{d}/{s}-10000.json"))["test_accuracy"] for s in ("float", "dac6")}
print("| | ImcSharp images/s | accuracy | peer images/s | accuracy | ImcSharp / peer |")
print("|---|---:|---:|---:|---:|---:|")
pf, pa = peers["float"], peers["aihwkit"]
print(f"| float (PyTorch) | {imc['float']:.0f} | {acc['float']:.2%} | {pf['samples_per_s']:.0f} | {pf['acc']:.2%} | {imc['float'] / pf['samples_per_s']:.2f}x |")
print(f"| analog, 6-bit outputs (aihwkit) | {imc['dac6']:.0f} | {acc['dac6']:.2%} | {pa['samples_per_s']:.0f} | {pa['acc']:.2%} | {imc['dac6'] / pa['samples_per_s']:.2f}x |")
print(f"ImcSharp analog against PyTorch float: {pf['samples_per_s'] / imc['dac6']:.2f}x the time")
PY
echo "=== done $(date -u +%T)"
