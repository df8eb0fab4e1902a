using ImcSharp.Config;
using ImcSharp.Crossbar;
using ImcSharp.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Nn;

/// <summary>
/// A design's per-chip deployment compensation (<see cref="CompensationConfig"/>) on one network: after each
/// programming, <see cref="Measure"/> runs the calibration images once through the chip, layer after layer, and
/// sets what the design asks for: every analog layer's gain registers (<see cref="OutputGainCalibration"/>, matched
/// to the digital network's moments measured once here) and every BatchNorm's running statistics (the chip's own,
/// momentum 1 over the one batch). A layer's registers are set before its outputs go on, so each layer is measured
/// on inputs its upstream layers have already corrected. Disposing restores the network's stored BatchNorm
/// statistics.
/// </summary>
public sealed class ChipCompensation : IDisposable
{
    readonly nn.Module<Tensor, Tensor> _model;
    readonly Tensor _images;
    readonly Dictionary<string, (Tensor Mean, Tensor Std)> _reference = new();
    readonly Dictionary<string, int> _calls = new();
    readonly List<(BatchNorm Bn, Tensor Mean, Tensor Var, double? Momentum)> _stored = new();

    /// <summary>What the design asks for.</summary>
    public CompensationConfig Config { get; }

    ChipCompensation(nn.Module<Tensor, Tensor> model, CompensationConfig config, Tensor images)
    {
        (_model, Config, _images) = (model, config, images);
        foreach (var bn in model.modules().OfType<BatchNorm>())
            _stored.Add((bn, bn.running_mean!.clone().DetachFromDisposeScope(),
                bn.running_var!.clone().DetachFromDisposeScope(), bn.momentum));
        if (config.OutputGain) MeasureReference();
    }

    /// <summary>
    /// The compensation of <paramref name="hw"/> for <paramref name="model"/> (already converted and calibrated),
    /// on the first <see cref="CompensationConfig.Images"/> training images (<paramref name="trainImages"/> gives the
    /// first n, or all there are); null when the design has none (or only BatchNorm re-estimation and the network has
    /// no BatchNorm).
    /// </summary>
    public static ChipCompensation? Prepare(nn.Module<Tensor, Tensor> model, HardwareConfig hw,
        Func<int, ImageSet> trainImages, Normalization norm)
    {
        // A design is shared by networks: re-estimating BatchNorm in a network without any is nothing to do.
        if (hw.Compensation is not { Any: true } c
            || (!c.OutputGain && !model.modules().OfType<BatchNorm>().Any())) return null;
        using var set = trainImages(c.Images);
        if (set.Count < c.Images) throw new ImcInputException(
            $"{hw.Source}: compensation.images: {c.Images} calibration images asked for, the training set has " +
            $"{set.Count}: expected at most that many");
        using var scope = NewDisposeScope();
        var x = ComputeTarget.On(norm.Apply(set.Images), ComputeTarget.Of(model)).DetachFromDisposeScope();
        return new ChipCompensation(model, c, x);
    }

    /// <summary>
    /// Per analog layer, the digital (quantized) network's output moments [1, N] on the images, over all the layer's
    /// forwards (a recurrent layer's every step), and how many forwards that was.
    /// </summary>
    void MeasureReference()
    {
        var layers = AnalogConversion.Layers(_model);
        var executions = layers.Select(l => l.Execution).ToList();
        var sums = new Dictionary<AnalogLayer, MomentSums>();
        var first = new Dictionary<AnalogLayer, (Tensor Mean, Tensor Std)>();
        var accumulate = Accumulate(sums, 1);
        using var g = no_grad();
        try
        {
            foreach (var l in layers)
            {
                l.Execution = Execution.QuantizedDigital;
                l.ResetCounts();
                l.OutputHook = (layer, y) =>
                {
                    // A layer called once: its moments from the one output (two-pass variance).
                    if (!first.ContainsKey(layer))
                    {
                        var (m, sd) = OutputGainCalibration.Moments(ChannelsFirst(layer, y), 1);
                        first[layer] = (m.DetachFromDisposeScope(), sd.DetachFromDisposeScope());
                    }
                    return accumulate(layer, y);
                };
            }
            _model.eval();
            using var scope = NewDisposeScope();
            _model.call(_images);
            foreach (var l in layers)
            {
                _calls[l.LayerName] = l.Calls;
                if (l.Calls == 1) { _reference[l.LayerName] = first[l]; continue; }
                var (mean, std) = sums[l].Moments();
                _reference[l.LayerName] = (mean.DetachFromDisposeScope(), std.DetachFromDisposeScope());
                first[l].Mean.Dispose();
                first[l].Std.Dispose();
            }
        }
        finally
        {
            foreach (var s in sums.Values) s.Dispose();
            for (int i = 0; i < layers.Count; i++) (layers[i].Execution, layers[i].OutputHook) = (executions[i], null);
        }
    }

    /// <summary>
    /// A layer's output with its outputs on axis 1 (a linear layer over a sequence, [B, T, N], gives [B, N, T]).
    /// </summary>
    static Tensor ChannelsFirst(AnalogLayer layer, Tensor y) =>
        layer is AnalogLinear && y.dim() > 2 ? y.movedim(new long[] { -1 }, new long[] { 1 }) : y;

    /// <summary>
    /// Measures and sets the compensation of the chips the network is programmed on (<paramref name="chips"/> of
    /// them, <see cref="AnalogConversion.ProgramChips"/>; BatchNorm statistics are one set per network, so one chip
    /// when they are re-estimated).
    /// </summary>
    public void Measure(int chips)
    {
        if (Config.BatchNorm && chips > 1) throw new ImcInputException(
            "compensation.batch_norm re-estimates BatchNorm on each chip alone: evaluate one chip at a time " +
            "(chip_batch 1)");
        var layers = AnalogConversion.Layers(_model);
        // A layer reused within a pass (a recurrent one) is measured over all its forwards, its registers set after.
        var reused = new Dictionary<AnalogLayer, MomentSums>();
        using var g = no_grad();
        try
        {
            foreach (var l in layers)
            {
                if (l.Chip is { } chip) { chip.OutputGain?.Dispose(); chip.OutputGain = null; }
                if (!Config.OutputGain || l.Execution != Execution.Analog) continue;
                l.OutputHook = _calls[l.LayerName] > 1 ? Accumulate(reused, chips) : SetRegisters(chips);
            }
            _model.eval();
            if (Config.BatchNorm)
                foreach (var (bn, _, _, _) in _stored)
                {
                    bn.reset_running_stats();
                    bn.momentum = 1.0;
                    bn.train();
                }
            using var scope = NewDisposeScope();
            var repeats = new[] { (long)chips }.Concat(Enumerable.Repeat(1L, (int)_images.dim() - 1)).ToArray();
            _model.call(chips == 1 ? _images : _images.repeat(repeats));
            foreach (var (layer, sums) in reused)
            {
                var (mean, std) = sums.Moments();
                layer.Chip!.OutputGain = Registers(layer, mean, std);
            }
        }
        finally
        {
            foreach (var s in reused.Values) s.Dispose();
            foreach (var l in layers) l.OutputHook = null;
            foreach (var (bn, _, _, momentum) in _stored) { bn.momentum = momentum; bn.eval(); }
        }
    }

    /// <summary>The registers that give <paramref name="layer"/>'s chip outputs of these moments the reference's.
    /// </summary>
    GainRegisters Registers(AnalogLayer layer, Tensor mean, Tensor std)
    {
        var (refMean, refStd) = _reference[layer.LayerName];
        return OutputGainCalibration.Solve(mean, std, refMean, refStd, layer.bias, OutputScale(layer));
    }

    static double OutputScale(AnalogLayer layer) => (float)(layer.Chip!.WeightScale * layer.InputScale);

    Func<AnalogLayer, Tensor, Tensor> SetRegisters(int chips) => (layer, y) =>
    {
        var outputs = ChannelsFirst(layer, y);
        var (mean, std) = OutputGainCalibration.Moments(outputs, chips);
        var registers = Registers(layer, mean, std);
        layer.Chip!.OutputGain = registers;
        var corrected = OutputGainCalibration.Apply(outputs, registers, layer.bias, OutputScale(layer), chips);
        return ReferenceEquals(outputs, y) ? corrected
            : corrected.movedim(new long[] { 1 }, new long[] { -1 }).contiguous();
    };

    /// <summary>
    /// A hook that adds each output's moment sums to the layer's running total in <paramref name="into"/> (kept out of
    /// the forward's scope; the total it replaces is freed).
    /// </summary>
    static Func<AnalogLayer, Tensor, Tensor> Accumulate(Dictionary<AnalogLayer, MomentSums> into, int chips) =>
        (layer, y) =>
        {
            var s = OutputGainCalibration.Sums(ChannelsFirst(layer, y), chips);
            var total = into.Remove(layer, out var prior) ? prior.Add(s) : s;
            total.Sum.DetachFromDisposeScope();
            total.SumOfSquares.DetachFromDisposeScope();
            into[layer] = total;
            prior?.Dispose();
            return y;
        };

    /// <summary>Restores the network's stored BatchNorm statistics and frees the images and moments.</summary>
    public void Dispose()
    {
        using (no_grad())
            foreach (var (bn, mean, var, momentum) in _stored)
            {
                bn.running_mean!.copy_(mean);
                bn.running_var!.copy_(var);
                bn.momentum = momentum;
                mean.Dispose();
                var.Dispose();
            }
        _stored.Clear();
        foreach (var (m, s) in _reference.Values) { m.Dispose(); s.Dispose(); }
        _reference.Clear();
        _images.Dispose();
    }
}
