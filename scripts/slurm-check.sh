#!/usr/bin/env bash
# A real Slurm on this machine, then a Monte Carlo and a sweep as Slurm job arrays, each merged and
# compared with the same work done in one process:
#   - munge, slurmctld and slurmd on localhost: one node with this machine's cores, a config of our
#     own in the work folder (the system's /etc/slurm is not touched);
#   - Monte Carlo: array task i evaluates chips [i K, (i + 1) K) of one design (`imc eval
#     --first-chip`) into its own results file; `imc eval --merge` joins the blocks; per_chip and
#     accuracy must equal a single `imc eval` of all the chips;
#   - sweep: array task i runs `imc sweep --shard i/N`; `imc sweep merge` joins the shards; the
#     points must equal the whole sweep run in one process.
# Installs slurm-wlm and munge with apt when they are missing (Debian 12; root or sudo).
# Usage: scripts/slurm-check.sh [--tasks N] [--chips-per-task K] [--test-images M] [--keep DIR]
#   defaults: 4 tasks, 2 chips a task, 500 test images; --keep DIR keeps the work folder there.
# Exit 0 when both merges equal their single-process runs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tasks=4 per_task=2 images=500 keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tasks) tasks="$2"; shift 2 ;;
    --chips-per-task) per_task="$2"; shift 2 ;;
    --test-images) images="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    *) echo "slurm-check: unknown argument $1 (expected --tasks, --chips-per-task, --test-images, --keep)" >&2; exit 2 ;;
  esac
done
SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
if [ -n "$keep" ]; then work="$(mkdir -p "$keep" && cd "$keep" && pwd)"; else work="$(mktemp -d)"; fi
log() { echo "[slurm-check $(date +%H:%M:%S)] $*"; }

# --- munge and a one-node Slurm -------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  $SUDO mungekey --create --keyfile /etc/munge/munge.key 2>/dev/null \
    || $SUDO dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  $SUDO chown munge:munge /etc/munge/munge.key; $SUDO chmod 400 /etc/munge/munge.key
fi
$SUDO mkdir -p /run/munge && $SUDO chown munge:munge /run/munge
if ! munge -n >/dev/null 2>&1; then
  if [ -z "$SUDO" ]; then runuser -u munge -- /usr/sbin/munged; else sudo -u munge /usr/sbin/munged; fi
  sleep 1
fi
munge -n | unmunge >/dev/null

slurm="$work/slurm"; mkdir -p "$slurm/state" "$slurm/spool"
node="$(hostname -s)"; cpus="$(nproc)"
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
user="$(id -un)"
cat > "$slurm/slurm.conf" <<EOF
ClusterName=imccheck
SlurmctldHost=$node(127.0.0.1)
SlurmUser=$user
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$slurm/state
SlurmdSpoolDir=$slurm/spool
SlurmctldPidFile=$slurm/slurmctld.pid
SlurmdPidFile=$slurm/slurmd.pid
SlurmctldLogFile=$slurm/slurmctld.log
SlurmdLogFile=$slurm/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=check Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$slurm/slurm.conf"
stop_slurm() {
  for d in slurmd slurmctld; do
    if [ -s "$slurm/$d.pid" ]; then $SUDO kill "$(cat "$slurm/$d.pid")" 2>/dev/null || true; fi
  done
  if [ -z "$keep" ]; then sleep 1; rm -rf "$work"; fi
}
trap stop_slurm EXIT
slurmctld -c -f "$SLURM_CONF"
$SUDO env SLURM_CONF="$SLURM_CONF" slurmd -c -f "$SLURM_CONF"
for _ in $(seq 60); do
  state="$(sinfo -h -n "$node" -o %T 2>/dev/null || true)"
  case "$state" in idle*|mixed*|allocated*) break ;; esac
  sleep 1
done
log "slurm up: node $node ($cpus CPUs) is ${state:-not responding}"
case "$state" in idle*|mixed*|allocated*) ;; *) cat "$slurm/slurmctld.log" "$slurm/slurmd.log" >&2; exit 1 ;; esac

# --- what the tasks run ---------------------------------------------------------------------------
dotnet build -c Release "$here/src/Imc.Cli" -v q -nologo >/dev/null
imc="$here/src/Imc.Cli/bin/Release/net10.0/imc"
hw="$here/experiments/hw/current-rram-cco-realistic.json"
log "training a LeNet-5 to evaluate (1 epoch on 5,000 images)"
"$imc" train --model lenet5 --epochs 1 --train-limit 5000 --test-limit "$images" --out "$work/train" \
  > "$work/train.log" 2>&1 || { cat "$work/train.log" >&2; exit 1; }
ckpt="$work/train/lenet5.ckpt"
chips=$(( tasks * per_task ))

# --- 1. Monte Carlo: one --first-chip block per array task ----------------------------------------
mc="$work/monte-carlo"; mkdir -p "$mc"
log "Monte Carlo: $chips chips as an array of $tasks tasks ($per_task chips each, scripts/slurm/monte-carlo.sbatch)"
jid="$(sbatch --parsable --wait --array=0-$(( tasks - 1 )) --cpus-per-task=1 --output="$mc/task-%a.log" \
  --export=ALL,IMC="$imc",CKPT="$ckpt",HW="$hw",CHIPS_PER_TASK=$per_task,OUT="$mc",EVAL_ARGS="--test-limit $images" \
  "$here/scripts/slurm/monte-carlo.sbatch")"
for i in $(seq 0 $(( tasks - 1 ))); do
  log "  array job $jid task $i: $(grep -c '"chip"' "$mc/block-$i.jsonl") chips in block-$i.jsonl"
done
log "merging the blocks (imc eval --merge)"
"$imc" eval --checkpoint "$ckpt" --hw "$hw" --test-limit $images --chips $chips \
  --results "$mc/merged.jsonl" --merge "$mc/block-*.jsonl" --json "$mc/merged.json" >/dev/null
log "the same $chips chips in one process"
"$imc" eval --checkpoint "$ckpt" --hw "$hw" --test-limit $images --chips $chips --json "$mc/single.json" >/dev/null
strip="$here/scripts/strip-timings.py"   # drop timings and paths so two runs compare equal
python3 "$strip" "$mc/merged.json" "$mc/merged.cmp"; python3 "$strip" "$mc/single.json" "$mc/single.cmp"
if diff -u "$mc/single.cmp" "$mc/merged.cmp"; then
  log "Monte Carlo: merged array == single process ($(python3 -c "import json; d=json.load(open('$mc/merged.json')); print(f\"{len(d['per_chip'])} chips, mean {d['accuracy']['mean']:.4f}, worst corner {d['worst_corner']}\")"))"
else log "Monte Carlo: merged array DIFFERS from the single process"; exit 1; fi

# --- 2. a sweep: one shard per array task ---------------------------------------------------------
sw="$work/sweep"; mkdir -p "$sw"
cat > "$sw/spec.json" <<EOF
{
  "name": "slurm-check", "dataset": "fashion-mnist", "model": "lenet5", "seed": 7,
  "hardware": "$here/experiments/hw/current-rram-cco.json",
  "adcs": { "cco": "$here/experiments/adc/cco-approx.json" },
  "adc_bits": [5, 6, 7, 8], "calibration": ["none"], "adc_share": [1], "training": ["float"],
  "chips": 2, "corners": 2, "test_images": $images, "float_epochs": 1, "calibration_images": 200
}
EOF
log "sweep: 4 points as an array of $tasks shards (imc sweep --shard, scripts/slurm/sweep.sbatch)"
jid="$(sbatch --parsable --wait --array=0-$(( tasks - 1 )) --cpus-per-task=1 --output="$sw/task-%a.log" \
  --export=ALL,IMC="$imc",SPEC="$sw/spec.json",OUT="$sw/array" "$here/scripts/slurm/sweep.sbatch")"
for i in $(seq 0 $(( tasks - 1 ))); do
  log "  array job $jid task $i: $(grep -c '"id"' "$sw/array/points.shard-$i-of-$tasks.jsonl" || true) points in its shard"
done
"$imc" sweep merge "$sw/spec.json" --out "$sw/array" --json "$sw/merged.json" >/dev/null
# The same thread count as the tasks: float training's sums depend on it (evaluation does not).
log "the same sweep in one process (--threads 1, as the tasks)"
"$imc" sweep "$sw/spec.json" --out "$sw/single" --yes --threads 1 --json "$sw/single.json" >/dev/null
python3 "$strip" "$sw/merged.json" "$sw/merged.cmp" --points; python3 "$strip" "$sw/single.json" "$sw/single.cmp"
if diff -u "$sw/single.cmp" "$sw/merged.cmp"; then
  log "sweep: merged array == single process ($(python3 -c "import json; print(len(json.load(open('$sw/merged.json'))['points']))") points)"
else log "sweep: merged array DIFFERS from the single process"; exit 1; fi
log "all merged results equal their single-process runs"
