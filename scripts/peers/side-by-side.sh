#!/usr/bin/env bash
# ImcSharp against CrossSim and aihwkit on the same weights (LeNet-5 and the MLP, Fashion-MNIST, the
# shared settings in configs/compare), through the shared peers harness (../shared/peers: its README
# says how to set up PEERS once: the peers' sources, Debian's python3-torch, OpenBLAS). Builds imc,
# runs the harness on this machine (about 25 minutes; run it idle) and prints its table of ratios;
# the log is kept as $PEERS/results/side_by_side.log.
# Usage: PEERS=/some/dir [HARNESS=../shared/peers] scripts/peers/side-by-side.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${PEERS:?set PEERS (the folder with cross-sim/, aihwkit/ and openblas/, see the harness README)}"
harness="${HARNESS:-$here/../shared/peers}"
[ -f "$harness/side_by_side.sh" ] || { echo "side-by-side: no harness at $harness (set HARNESS)" >&2; exit 2; }
for d in cross-sim aihwkit openblas; do
  [ -d "$PEERS/$d" ] || { echo "side-by-side: $PEERS/$d is missing (see $harness/README.md, Set up)" >&2; exit 2; }
done
dotnet build -c Release "$here/src/Imc.Cli" -v q -nologo >/dev/null
PEERS="$PEERS" REPO="$here" IMC="$here/src/Imc.Cli/bin/Release/net10.0/imc" bash "$harness/side_by_side.sh"
