#!/usr/bin/python3
"""CrossSim's parasitic-resistance solver on given arrays, for ImcSharp's IR-drop comparison (docs/results-physics.md).

Usage: PEERS=/some/dir /usr/bin/python3 scripts/peers/crosssim-ir-drop.py OUT.json [--sizes 8,16,32,64,128]
       [--wires 1,2.5,5] [--sense 0,100]

Needs CrossSim's tree at $PEERS/cross-sim (../shared/peers/README.md, set-up step 3) and Debian's numpy.
For each square size, wire resistance r (ohm per cell segment, word and bit lines) and sense resistance R_s
(ohm, in series at the bit line's end): conductances uniform in 1-50 uS (seeded), inputs in volts (every row at
0.2 V, and uniform in 0-0.2 V), solved by CrossSim 3.2's NoninterleavedInputSourceArray (input drives the word line
from column 0, bit lines summed to a virtual ground after row R-1, the topology of ImcSharp's ir-drop solver) at
its default convergence (Verr_th 1e-3, gamma 1) and at a tight one (Verr_th 1e-12). CrossSim's solver works in
units normalised by R_min = 1/G_max: conductances G/G_max, resistances r G_max, voltages as given; currents are
scaled back to amperes. Writes the arrays, inputs and column currents as JSON for `bench -- ir-drop-peers OUT.json`.
The driver (row terminal) resistance is left at 0: CrossSim adds it at input index 0 of every output position of
its [outputs, inputs] matrix, i.e. along row 0's word line rather than at each row's driver.
"""
import argparse, json, os, sys, time, types

p = argparse.ArgumentParser()
p.add_argument("out"); p.add_argument("--sizes", default="8,16,32,64,128")
p.add_argument("--wires", default="1,2.5,5"); p.add_argument("--sense", default="0,100")
a = p.parse_args()
sys.path.insert(0, os.path.join(os.environ.get("PEERS", "."), "cross-sim"))
import numpy as np  # noqa: E402
from simulator.backend import ComputeBackend  # noqa: E402
ComputeBackend(use_gpu=False)                                       # CrossSim's numpy backend, as its cores set it
from simulator.circuits.array.NonInterleaved_InputSource import NoninterleavedInputSourceArray  # noqa: E402
from simulator.parameters.core_parameters import CoreStyle  # noqa: E402

G_MIN, G_MAX, V_READ = 1e-6, 50e-6, 0.2


def solver(r, sense, verr, gamma):
    ns = types.SimpleNamespace
    params = ns(
        xbar=ns(array=ns(parasitics=ns(Rp_row_norm=r * G_MAX, Rp_col_norm=r * G_MAX, Rp_row_terminal_norm=0.0,
                                       Rp_col_terminal_norm=sense * G_MAX)),
                device=ns(nonlinear_IV=ns(enable=False))),
        simulation=ns(fast_matmul=False, Niters_max_parasitics=100000, Verr_th_mvm=verr, hide_convergence_msg=True,
                      Verr_matmul_criterion="max_max", relaxation_gamma=gamma),
        core=ns(style=CoreStyle.BALANCED, balanced=ns(interleaved_posneg=False)))
    return NoninterleavedInputSourceArray(params)


cases = []
rng = np.random.default_rng(2026)
for n in [int(s) for s in a.sizes.split(",")]:
    g = rng.uniform(G_MIN, G_MAX, size=(n, n))                      # [rows, columns], S
    inputs = {"full-scale": np.full(n, V_READ), "random": rng.uniform(0, V_READ, size=n)}
    for r in [float(w) for w in a.wires.split(",")]:
        for sense in [float(s) for s in a.sense.split(",")]:
            case = {"rows": n, "columns": n, "wire_ohm": r, "sense_ohm": sense, "g_siemens": g.tolist(),
                    "inputs": []}
            for name, x in inputs.items():
                entry = {"name": name, "volts": x.tolist()}
                for label, verr, gamma in (("default", 1e-3, 1.0), ("tight", 1e-12, 1.0)):
                    start = time.perf_counter()
                    i_norm = solver(r, sense, verr, gamma).iterative_solve(g.T / G_MAX, x.copy())
                    entry[label] = {"amperes": (np.asarray(i_norm) * G_MAX).tolist(),
                                    "seconds": time.perf_counter() - start}
                case["inputs"].append(entry)
            cases.append(case)
            print(f"{n}x{n} r={r:g} sense={sense:g}", file=sys.stderr, flush=True)
json.dump({"solver": "CrossSim 3.2 NoninterleavedInputSourceArray", "g_min": G_MIN, "g_max": G_MAX,
           "cases": cases}, open(a.out, "w"))
