#!/usr/bin/env bash
# Sets up what a fresh Debian 12 machine with the .NET SDK lacks, then runs `imc demo`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "quickstart: the .NET SDK (dotnet) is not on PATH; install .NET SDK 10 first." >&2
  exit 1
fi

if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo apt-get install -y -qq dataset-fashion-mnist
  else
    echo "quickstart: Fashion-MNIST is missing. Run:  sudo apt-get install dataset-fashion-mnist  then run this again." >&2
    exit 1
  fi
fi

# TorchSharp, ScottPlot and Spectre.Console restore from NuGet on the first build; the build
# itself makes libtorch load on Debian 12 (see build/LibTorchSharpGlibcxx.targets).
exec "$here/imc" demo "$@"
