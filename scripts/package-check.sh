#!/usr/bin/env bash
# Packs ImcSharp (library) and Imc.Tool (the imc CLI as a .NET tool) into a local folder feed,
# installs the tool into a temporary tool path and runs `imc --help` and a tiny train + eval with
# it, then builds and runs a consumer project of the library package (the libstdc++ step must
# travel with the package). Usage: scripts/package-check.sh [WORKDIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -ge 1 ]; then w="$1"; else
  # A folder of our own making goes when the check ends (it holds about 3 GB of builds).
  w="$(mktemp -d)"; trap 'rm -rf "$w"' EXIT
fi
feed="$w/feed"; tools="$w/tools"; consumer="$w/consumer"
rm -rf "$feed" "$tools" "$consumer"; mkdir -p "$feed" "$consumer"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$here/Directory.Build.props")
# This version of our own packages, cached by an earlier check, would shadow the fresh ones.
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
rm -rf "$cache/imcsharp/$version" "$cache/imc.tool/$version"
dotnet pack "$here/src/ImcSharp" -c Release -o "$feed" -v q -nologo
dotnet pack "$here/src/Imc.Cli" -c Release -o "$feed" -v q -nologo
dotnet tool install Imc.Tool --version "$version" --tool-path "$tools" --add-source "$feed"
"$tools/imc" --help | head -n 3
"$tools/imc" train --model mlp --epochs 1 --train-limit 2000 --test-limit 500 --out "$w/train"
"$tools/imc" eval --checkpoint "$w/train/mlp.ckpt" --test-limit 500 --json "$w/eval.json"

# A program of one's own using the library package: builds and runs on this machine as is.
cat > "$consumer/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings><Nullable>enable</Nullable></PropertyGroup>
  <ItemGroup><PackageReference Include="ImcSharp" Version="$version" /></ItemGroup>
</Project>
XML
cat > "$consumer/Program.cs" <<'CS'
using ImcSharp.Config;
using ImcSharp.Cost;
using ImcSharp.Nn;
using TorchSharp;
var hw = HardwareConfig.Parse("""{ "core": { "rows": 64, "columns": 64 }, "adc": { "kind": "sar", "bits": 6 } }""", "inline");
var layer = AnalogConversion.Convert(torch.nn.Sequential(("fc", torch.nn.Linear(20, 4))), hw);
var y = layer.call(torch.randn(3, 20));
var cost = CoreCostModel.Price("fc", LayerShapes.Of(() => torch.nn.Sequential(("fc", torch.nn.Linear(20, 4))), new long[] { 20 }), hw);
Console.WriteLine($"consumer: output {string.Join("x", y.shape)}, {cost.EnergyPerInferenceJ * 1e12:F2} pJ per inference");
CS
cat > "$consumer/nuget.config" <<XML
<configuration><packageSources><add key="local" value="$feed" /></packageSources></configuration>
XML
(cd "$consumer" && dotnet run -c Release -v q)
echo "package check passed"
