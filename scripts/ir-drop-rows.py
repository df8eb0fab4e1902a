#!/usr/bin/env python3
"""Accuracy against array rows with input-dependent IR drop (docs/results-physics.md).

Usage: scripts/ir-drop-rows.py OUTDIR CHECKPOINT [--chips 3] [--images 2000] [--rows 64,128,256,512]
       [--bits 6,8] [--wires 1,2.5]

From experiments/hw/current-rram-cco-realistic.json (RRAM, 6-bit DAC inputs, 4-bit weights on 2-bit
cells, differential pairs, digital subtraction) with an ideal converter of the given bits on a
calibrated (mse) range, for each square array size: no wires (the baseline), the first-order
average drop, and the solved network (array.solver ir-drop) at each wire resistance (ohm per cell
segment, word and bit lines). Runs `imc eval` per design (same chips, same images) and writes
OUTDIR/ir-drop-rows.md and .json, and a plot per ADC resolution (ir-drop-rows-<bits>b.png/svg, `imc plot`). Designs and results stay in OUTDIR; a finished design is not run again.
"""
import argparse, json, math, os, subprocess, sys

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("out"); p.add_argument("checkpoint")
p.add_argument("--chips", type=int, default=3); p.add_argument("--images", type=int, default=2000)
p.add_argument("--rows", default="64,128,256,512"); p.add_argument("--bits", default="6,8")
p.add_argument("--wires", default="1,2.5")
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
imc = os.environ.get("IMC") or os.path.join(here, "src/Imc.Cli/bin/Release/net10.0/imc")
if not os.environ.get("IMC"):
    subprocess.run(["dotnet", "build", "-c", "Release", os.path.join(here, "src/Imc.Cli"), "-v", "q", "-nologo"],
                   check=True, stdout=subprocess.DEVNULL)
model = os.path.basename(a.checkpoint).split(".")[0].split("-")[0]
base = json.load(open(os.path.join(here, "experiments/hw/current-rram-cco-realistic.json")))
rows_list = [int(r) for r in a.rows.split(",")]
bits_list = [int(b) for b in a.bits.split(",")]
wires = [float(w) for w in a.wires.split(",")]
variants = [("none", "first-order", 0.0)] + [(f"first-order {w:g} ohm", "first-order", w) for w in wires] \
    + [(f"solved {w:g} ohm", "ir-drop", w) for w in wires]
results = []
for bits in bits_list:
    for rows in rows_list:
        for label, solver, wire in variants:
            name = f"{rows}r-{bits}b-{solver}-{wire:g}"
            d = json.loads(json.dumps(base))
            d["name"] = name
            d["description"] = f"IR-drop study: {rows}x{rows} arrays, {label}, ideal {bits}-bit ADC"
            d["core"]["rows"] = rows; d["core"]["columns"] = rows
            d["array"] = {"mode": "current", "read_voltage": base["array"].get("read_voltage", 0.2),
                          "solver": solver, "wire_resistance": wire}
            d["adc"] = {"kind": "ideal", "bits": bits, "range": {"mode": "calibrated", "method": "mse"}}
            hw = os.path.join(a.out, name + ".hw.json"); res = os.path.join(a.out, name + ".eval.json")
            json.dump(d, open(hw, "w"), indent=1)
            if not os.path.exists(res):
                print(f"{name} ...", file=sys.stderr, flush=True)
                subprocess.run([imc, "eval", "--checkpoint", a.checkpoint, "--hw", hw, "--chips", str(a.chips),
                                "--test-limit", str(a.images), "--json", res], check=True, stdout=subprocess.DEVNULL)
            r = json.load(open(res))
            acc = r["accuracy"]
            results.append({"rows": rows, "bits": bits, "wires": label, "mean": acc["mean"], "worst": acc["min"],
                            "quantized": r.get("quantized_accuracy")})
json.dump(results, open(os.path.join(a.out, "ir-drop-rows.json"), "w"), indent=1)
with open(os.path.join(a.out, "ir-drop-rows.md"), "w") as f:
    f.write(f"{model} on Fashion-MNIST, {a.chips} chips, {a.images} test images; accuracy mean (worst chip), %\n\n")
    labels = [v[0] for v in variants]
    f.write("| ADC | rows | " + " | ".join(labels) + " |\n|---|---:|" + "---:|" * len(labels) + "\n")
    for bits in bits_list:
        for rows in rows_list:
            cells = [next(x for x in results if x["rows"] == rows and x["bits"] == bits and x["wires"] == l) for l in labels]
            f.write(f"| {bits}-bit | {rows} | " + " | ".join(f"{c['mean']*100:.2f} ({c['worst']*100:.2f})" for c in cells) + " |\n")
# One plot per ADC resolution: a curve per wire model against log2 of the rows (`imc plot`).
for bits in bits_list:
    ticks = [{"x": math.log2(r), "label": str(r)} for r in rows_list]
    curves = []
    for l in labels:
        cells = [next(x for x in results if x["rows"] == r and x["bits"] == bits and x["wires"] == l) for r in rows_list]
        curves.append({"label": l, "x": [t["x"] for t in ticks], "mean": [c["mean"] for c in cells],
                       "worst": [c["worst"] for c in cells]})
    series = os.path.join(a.out, f"ir-drop-rows-{bits}b.series.json")
    json.dump({"title": f"{model}, ideal {bits}-bit ADC, IR drop ({a.chips} chips)", "x_label": "array rows",
               "x_ticks": ticks, "series": curves}, open(series, "w"), indent=1)
    subprocess.run([imc, "plot", series, "--out", os.path.join(a.out, f"ir-drop-rows-{bits}b")], check=True,
                   stdout=subprocess.DEVNULL)
print(open(os.path.join(a.out, "ir-drop-rows.md")).read())
