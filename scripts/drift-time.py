#!/usr/bin/env python3
"""Accuracy against time after programming, with and without drift compensation (docs/results-physics.md).

Usage: [IMC=path/to/imc] scripts/drift-time.py OUTDIR CHECKPOINT [--chips 3] [--images 2000] [--times 1s,1h,1d,1mo,1y,10y]
       [--aware-epochs 1] [--aware-images 0] [--aware-lr 0.0005] [--no-aware] [--cells pcm|rram]

From experiments/hw/current-rram-cco-realistic-trim.json (RRAM, uncalibrated silicon-like 7-bit CCOs on every
bit line, digital subtraction, a per-chip output offset trim) with aging from t0 = 20 s. --cells pcm (default):
drift nu ~ N(0.05, 0.02) and 1/f read noise growing from the design's read_noise with t_r = 250 ns (aihwkit's
PCM model, Nandakumar et al. 2019); --cells rram: additive relaxation -0.089 uS per e-fold of time with spread
0.41 + 0.042 ln(t/t0) uS and t_r = 1 us (aihwkit's CMO/HfOx ReRAM model). Three ways to read an aged chip:
- uncompensated: the trim taken at programming, no drift scale;
- drift scale: global drift compensation, one digital scale per tile (cell.drift_compensation);
- drift scale + retrim: the same, and the offset trim retaken at the read time (adc.offset_retrim).
Networks: CHECKPOINT as given (float-trained), and unless --no-aware, fine-tuned on the compensated design at
t0 (aware) and at 1 y (aware at 1 y: imc train --time 1y). Every network is read by `imc eval --time` (same
chips at every time). Writes OUTDIR/drift-time.md and .json, and the plot drift-time.png/svg (`imc plot`);
a finished run is not run again.
"""
import argparse, json, math, os, subprocess, sys

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("out"); p.add_argument("checkpoint")
p.add_argument("--chips", type=int, default=3); p.add_argument("--images", type=int, default=2000)
p.add_argument("--times", default="1s,1h,1d,1mo,1y,10y")
p.add_argument("--aware-epochs", type=int, default=1); p.add_argument("--aware-images", type=int, default=0)
p.add_argument("--aware-lr", type=float, default=0.0005); p.add_argument("--no-aware", action="store_true")
p.add_argument("--cells", choices=["pcm", "rram"], default="pcm")
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
imc = os.environ.get("IMC") or os.path.join(here, "src/Imc.Cli/bin/Release/net10.0/imc")
if not os.environ.get("IMC"):
    subprocess.run(["dotnet", "build", "-c", "Release", os.path.join(here, "src/Imc.Cli"), "-v", "q", "-nologo"],
                   check=True, stdout=subprocess.DEVNULL)
base = json.load(open(os.path.join(here, "experiments/hw/current-rram-cco-realistic-trim.json")))


AGING = {
    # aihwkit's PCM model (Nandakumar et al. 2019): power-law drift and 1/f read noise with t_r = 250 ns.
    "pcm": ("PCM-like aging (drift nu 0.05 +- 0.02, 1/f read noise, t_r 250 ns)",
            {"drift_nu": 0.05, "drift_nu_sigma": 0.02, "read_noise_t_read": 250e-9}),
    # aihwkit's CMO/HfOx ReRAM model: additive relaxation -0.089 uS and 0.41 + 0.042 ln(t) uS, t_r = 1 us.
    "rram": ("CMO/HfOx RRAM relaxation (-0.089 uS, spread 0.41 + 0.042 ln(t/t0) uS, 1/f read noise t_r 1 us)",
             {"relaxation_mean": -0.089e-6, "relaxation_sigma": 0.41e-6, "relaxation_sigma_growth": 0.042e-6,
              "read_noise_t_read": 1e-6}),
}


def design(name, compensate, retrim):
    d = json.loads(json.dumps(base))
    d["name"] = name
    what, fields = AGING[a.cells]
    d["description"] = (f"current-rram-cco-realistic-trim with {what}; drift scale {'on' if compensate else 'off'}, "
                        f"trim {'retaken at the read time' if retrim else 'from programming'}")
    d["cell"].update(fields)
    if compensate: d["cell"]["drift_compensation"] = True
    if retrim: d["adc"]["offset_retrim"] = True
    path = os.path.join(a.out, name + ".hw.json")
    json.dump(d, open(path, "w"), indent=1)
    return path


variants = [("uncompensated", design("aged-uncompensated", False, False)),
            ("drift scale", design("aged-drift-scale", True, False)),
            ("drift scale + retrim", design("aged-drift-scale-retrim", True, True))]
compensated = variants[2][1]
model = os.path.basename(a.checkpoint).split(".")[0].split("-")[0]


def train(name, time):
    out = os.path.join(a.out, name)
    ckpt = os.path.join(out, f"{model}-aware.ckpt")
    if not os.path.exists(os.path.join(out, "done")):
        print(f"training {name} ...", file=sys.stderr, flush=True)
        cmd = [imc, "train", "--init", a.checkpoint, "--hw", compensated, "--epochs", str(a.aware_epochs),
               "--lr", str(a.aware_lr), "--out", out, "--resume"]
        if a.aware_images: cmd += ["--train-limit", str(a.aware_images)]
        if time: cmd += ["--time", time]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        open(os.path.join(out, "done"), "w").close()
    return ckpt


networks = [("float-trained", a.checkpoint)]
if not a.no_aware:
    networks += [("aware at t0", train("aware-t0", None)), ("aware at 1y", train("aware-1y", "1y"))]
runs = [(n, c, v, hw) for n, c in networks for v, hw in variants
        if n == "float-trained" or v == "drift scale + retrim"]
results = []
for net, ckpt, label, hw in runs:
    res = os.path.join(a.out, f"{net.replace(' ', '-')}--{label.replace(' ', '').replace('+', '-')}.eval.json")
    if not os.path.exists(res):
        print(f"{net} on {label} ...", file=sys.stderr, flush=True)
        subprocess.run([imc, "eval", "--checkpoint", ckpt, "--hw", hw, "--chips", str(a.chips), "--test-limit",
                        str(a.images), "--time", a.times, "--json", res, "--yes"], check=True, stdout=subprocess.DEVNULL)
    r = json.load(open(res))
    results.append({"network": net, "read": label, "programmed": r["accuracy"]["mean"],
                    "times": [{"time": t["time"], "seconds": t["seconds"], "mean": t["accuracy"]["mean"],
                               "worst": t["accuracy"]["min"]} for t in r["times"]]})
json.dump(results, open(os.path.join(a.out, "drift-time.json"), "w"), indent=1)
labels = [t["time"] for t in results[0]["times"]]
with open(os.path.join(a.out, "drift-time.md"), "w") as f:
    f.write(f"{model} on Fashion-MNIST, {a.chips} chips, {a.images} test images; accuracy mean (worst chip), %\n\n")
    f.write("| network | read | as programmed | " + " | ".join(labels) + " |\n|---|---|---:|"
            + "---:|" * len(labels) + "\n")
    for r in results:
        f.write(f"| {r['network']} | {r['read']} | {100 * r['programmed']:.2f} | "
                + " | ".join(f"{100 * t['mean']:.2f} ({100 * t['worst']:.2f})" for t in r["times"]) + " |\n")
# One curve per network and reading, against log10 of the read time, for `imc plot`.
ticks = [{"x": math.log10(t["seconds"]), "label": t["time"]} for t in results[0]["times"]]
series = {"title": f"{model}, {a.cells.upper()} aging on current-realistic arrays ({a.chips} chips)", "x_label": "time after programming",
          "x_ticks": ticks,
          "series": [{"label": f"{r['network']}, {r['read']}", "x": [t["x"] for t in ticks],
                      "mean": [t["mean"] for t in r["times"]], "worst": [t["worst"] for t in r["times"]]}
                     for r in results]}
json.dump(series, open(os.path.join(a.out, "drift-time.series.json"), "w"), indent=1)
subprocess.run([imc, "plot", os.path.join(a.out, "drift-time.series.json"), "--out",
                os.path.join(a.out, "drift-time")], check=True, stdout=subprocess.DEVNULL)
print(open(os.path.join(a.out, "drift-time.md")).read())
