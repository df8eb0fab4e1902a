#!/usr/bin/python3
"""The LSTM side by side (issue 30): PyTorch float and aihwkit's analog LSTM on the same weights as ImcSharp.

Run by scripts/peers/lstm-side-by-side.sh (which times ImcSharp); needs the peers harness (../shared/peers:
aih_run.py, common.py, rpu_base_stub.py on PYTHONPATH) and aihwkit's sources under $PEERS/aihwkit.
Modes:
  train          an LSTM of 128 units over the 28 rows of a Fashion-MNIST image and a Linear classifier (ImcSharp's
                 --model lstm), 3 epochs of Adam in PyTorch, seed 0: $PEERS/models/lstm.pt and lstm.onnx (opset 13)
  float          PyTorch's float inference time on the 10,000 test images (3 runs; median)
  aihwkit        aihwkit 1.1.0's AnalogRNN(AnalogLSTMCell) and AnalogLinear with the harness's adc6_noise0 setting
                 (8-bit inputs, 6-bit outputs, no noise, 256-row tiles, digital bias) on the same weights
Each run prints one RESULT line of JSON (samples_per_s, acc) and appends it to $PEERS/results/results.jsonl.
"""
import os
import sys
import time
import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(2)
PEERS = os.environ.get("PEERS", "peers")


class RowLstm(nn.Module):
    """ImcSharp's --model lstm: 28 steps of 28 values, 128 units, the last state classified."""

    def __init__(self, hidden=128):
        super().__init__()
        self.rnn = nn.LSTM(28, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 10)

    def forward(self, x):
        y, _ = self.rnn(x.reshape(x.shape[0], 28, 28))
        return self.fc(y[:, -1])


def timed(model, x, y, reps=3):
    from common import evaluate
    evaluate(model, x[:500], y[:500])                       # warm-up
    runs = [evaluate(model, x, y, batch=500) for _ in range(reps)]
    dt = float(np.median([r[1] for r in runs]))
    return float(np.mean([r[0] for r in runs])), dt, [round(r[1], 3) for r in runs]


def main():
    from common import load, record
    mode = sys.argv[1]
    models = os.path.join(PEERS, "models")
    if mode == "train":
        torch.manual_seed(0)
        x, y = load("train")
        net = RowLstm()
        opt = torch.optim.Adam(net.parameters(), 2e-3)
        for epoch in range(3):
            perm = torch.randperm(len(x))
            for i in range(0, len(x), 64):
                idx = perm[i:i + 64].numpy()
                loss = nn.functional.cross_entropy(net(torch.from_numpy(x[idx])), torch.from_numpy(y[idx]))
                opt.zero_grad()
                loss.backward()
                opt.step()
            print(f"epoch {epoch + 1}: loss {loss.item():.4f}", flush=True)
        os.makedirs(models, exist_ok=True)
        net.eval()
        torch.save(net.state_dict(), os.path.join(models, "lstm.pt"))
        torch.onnx.export(net, torch.zeros(2, 1, 28, 28), os.path.join(models, "lstm.onnx"), opset_version=13,
                          input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
        return
    net = RowLstm()
    net.load_state_dict(torch.load(os.path.join(models, "lstm.pt")))
    net.eval()
    x, y = load("test")
    tag = dict(model="lstm", n=len(x))
    if mode == "float":
        acc, dt, runs = timed(net, x, y)
        rec = dict(tag, sim="pytorch float", setting="float", acc=acc, wall_s=round(dt, 3), wall_s_all=runs,
                   samples_per_s=round(len(x) / dt, 1))
    elif mode == "aihwkit":
        from aih_run import CONFIGS, make_rpu                # installs the stub for the compiled extension
        from aihwkit.nn import AnalogLinear, AnalogRNN
        from aihwkit.nn.modules.rnn.cells import AnalogLSTMCell
        fwd, mapping, _ = CONFIGS["adc6_noise0"]
        rpu = make_rpu(fwd, mapping, 256)

        class AnalogRowLstm(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = AnalogRNN(AnalogLSTMCell, 28, 128, bias=True, rpu_config=rpu)
                self.fc = AnalogLinear(128, 10, bias=True, rpu_config=rpu)

            def forward(self, x):
                out, _ = self.rnn(x.reshape(x.shape[0], 28, 28).transpose(0, 1))   # time-major
                return self.fc(out[-1])

        analog = AnalogRowLstm()
        cell = analog.rnn.rnn.layers[0].cell
        p = dict(net.named_parameters())
        cell.weight_ih.set_weights(p["rnn.weight_ih_l0"].detach(), p["rnn.bias_ih_l0"].detach())
        cell.weight_hh.set_weights(p["rnn.weight_hh_l0"].detach(), p["rnn.bias_hh_l0"].detach())
        analog.fc.set_weights(p["fc.weight"].detach(), p["fc.bias"].detach())
        analog.eval()
        torch.manual_seed(0)
        acc, dt, runs = timed(analog, x, y)
        rec = dict(tag, sim="aihwkit 1.1.0 (4545f11) torch tile", setting="adc6_noise0", acc=acc, wall_s=round(dt, 3),
                   wall_s_all=runs, samples_per_s=round(len(x) / dt, 1))
    else:
        sys.exit(f"unknown mode {mode}: expected train, float or aihwkit")
    record(rec)                                              # prints the RESULT line


if __name__ == "__main__":
    main()
