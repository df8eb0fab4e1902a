#!/usr/bin/env bash
# Fault scenarios of issue 14, run with real processes on Fashion-MNIST (a few minutes):
# kill -9 and resume of train, eval and sweep (compared with uninterrupted runs), two runs on one
# --out, and a changed design under the same --results file. Prints one line per check.
# Usage: scripts/fault-checks.sh [WORKDIR]   (default: runs/fault-checks, emptied first)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
w="${1:-runs/fault-checks}"
rm -rf "$w"; mkdir -p "$w"
dotnet build -c Release src/Imc.Cli -v q -nologo >/dev/null || exit 1
imc=src/Imc.Cli/bin/Release/net10.0/imc
fail=0
check() { if [ "$1" = ok ]; then echo "PASS  $2"; else echo "FAIL  $2"; fail=1; fi; }
json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
wait_for() {  # seconds condition...
  local t=$1; shift
  for _ in $(seq $((t * 10))); do eval "$@" && return 0; sleep 0.1; done
  return 1
}
train=(--model lenet5 --epochs 2 --train-limit 20000 --test-limit 2000 --seed 5)

# 1. train: kill -9 in the middle of epoch 2, then --resume.
$imc train "${train[@]}" --out "$w/train-straight" --json "$w/train-straight.json" >/dev/null 2>&1
$imc train "${train[@]}" --out "$w/train-killed" >/dev/null 2>&1 &
pid=$!
# Mid-epoch saves are written every 200 steps: wait for one in epoch 2 (313 steps per epoch here).
wait_for 120 "python3 - '$w/train-killed/lenet5.ckpt' <<'PY' 2>/dev/null
import json, struct, sys
b = open(sys.argv[1], 'rb').read(); n = struct.unpack('<i', b[8:12])[0]; h = json.loads(b[12:12 + n])
sys.exit(0 if h['epochs_done'] == 1 and (h.get('partial') or {}).get('steps', 0) >= 200 else 1)
PY"
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
ls "$w/train-killed" | grep -q 'tmp-' && leftover=yes || leftover=no
$imc train "${train[@]}" --out "$w/train-killed" --resume --json "$w/train-resumed.json" >/dev/null 2>&1
a=$(json "$w/train-straight.json" "d['test_accuracy']"); b=$(json "$w/train-resumed.json" "d['test_accuracy']")
[ "$a" = "$b" ] && [ "$(json "$w/train-resumed.json" "d['resumed']")" = True ] && r=ok || r=no
check $r "train killed (-9) at step >= 200 of epoch 2, resumed: test accuracy $b, uninterrupted $a (temporaries left by the kill: $leftover)"

# 2. two runs on one --out: the second refuses, naming the first's PID.
$imc train "${train[@]}" --out "$w/shared" >/dev/null 2>&1 &
pid=$!
wait_for 60 "[ -f '$w/shared/.imc-lock' ]"
msg=$($imc train "${train[@]}" --out "$w/shared" 2>&1 >/dev/null); rc=$?
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
[ $rc = 2 ] && echo "$msg" | grep -q "PID $pid" && r=ok || r=no
check $r "second train on the same --out: exit $rc, '$msg'"
$imc train "${train[@]}" --epochs 1 --out "$w/shared" >/dev/null 2>&1 && r=ok || r=no
check $r "after the holder was killed (-9), its stale lock is taken over"

# 3. eval: kill -9 after some chips, rerun with the same --results; compare with an uninterrupted run.
ck="$w/train-straight/lenet5.ckpt"
ev=(--checkpoint "$ck" --hw configs/puma-reference.json --chips 6 --test-limit 1000 --calibration-images 500)
$imc eval "${ev[@]}" --json "$w/eval-straight.json" >/dev/null 2>&1
$imc eval "${ev[@]}" --results "$w/chips.jsonl" >/dev/null 2>&1 &
pid=$!
wait_for 300 "[ -f '$w/chips.jsonl' ] && [ \$(wc -l < '$w/chips.jsonl') -ge 3 ]"
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
kept=$(( $(wc -l < "$w/chips.jsonl") - 1 ))
$imc eval "${ev[@]}" --results "$w/chips.jsonl" --json "$w/eval-resumed.json" >/dev/null 2>&1
a=$(json "$w/eval-straight.json" "[c['accuracy'] for c in d['per_chip']]"); b=$(json "$w/eval-resumed.json" "[c['accuracy'] for c in d['per_chip']]")
[ "$a" = "$b" ] && r=ok || r=no
check $r "eval killed (-9) after $kept of 6 chips, rerun: per-chip accuracies equal an uninterrupted run's"

# 4. a changed design under the same --results file.
sed 's/"bits": 7/"bits": 2/' configs/puma-reference.json > "$w/puma-2bit.json"
msg=$($imc eval "${ev[@]/configs\/puma-reference.json/$w/puma-2bit.json}" --results "$w/chips.jsonl" 2>&1 >/dev/null); rc=$?
[ $rc = 2 ] && echo "$msg" | grep -q "design:" && r=ok || r=no
check $r "2-bit design under the 7-bit run's --results: exit $rc, '$msg'"

# 5. sweep: kill -9 after the first point, rerun.
cat > "$w/sweep.json" <<JSON
{ "name": "fault-sweep", "dataset": "fashion-mnist", "model": "lenet5", "seed": 7,
  "hardware": "$here/experiments/hw/current-rram-cco.json", "adcs": { "cco": "$here/experiments/adc/cco-approx.json" },
  "adc_bits": [5, 6, 7], "calibration": ["none"], "adc_share": [1], "training": ["float"],
  "chips": 2, "corners": 2, "test_images": 500, "float_epochs": 1 }
JSON
$imc sweep "$w/sweep.json" --out "$w/sweep-straight" --json "$w/sweep-straight.json" >/dev/null 2>&1
$imc sweep "$w/sweep.json" --out "$w/sweep-killed" >/dev/null 2>&1 &
pid=$!
wait_for 600 "[ -f '$w/sweep-killed/points.jsonl' ] && [ \$(wc -l < '$w/sweep-killed/points.jsonl') -ge 1 ]"
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
kept=$(wc -l < "$w/sweep-killed/points.jsonl")
$imc sweep "$w/sweep.json" --out "$w/sweep-killed" --json "$w/sweep-resumed.json" >/dev/null 2>&1
a=$(json "$w/sweep-straight.json" "[(p['id'], p['mean']) for p in d]"); b=$(json "$w/sweep-resumed.json" "[(p['id'], p['mean']) for p in d]")
[ "$a" = "$b" ] && r=ok || r=no
check $r "sweep killed (-9) after $kept of 3 points, rerun: points equal an uninterrupted sweep's"
sed -i 's/"chips": 2/"chips": 4/' "$w/sweep.json"
msg=$($imc sweep "$w/sweep.json" --out "$w/sweep-killed" 2>&1 >/dev/null); rc=$?
[ $rc = 2 ] && echo "$msg" | grep -q "chips:" && r=ok || r=no
check $r "sweep spec changed (4 chips) under the same --out: exit $rc, '${msg:0:160}...'"
exit $fail
