using System.Reflection;
using ImcSharp.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Nn;

/// <summary>
/// One-line conversion of a float model into an analog one:
/// <c>AnalogConversion.Convert(model, HardwareConfig.Load("configs/puma-reference.json"))</c>.
/// Every layer type in the conversion map (torch's Linear and Conv2d, <see cref="FloatConv2d"/>;
/// others with <see cref="Map{T}"/>) becomes its analog layer (<see cref="AnalogLinear"/>,
/// <see cref="AnalogConv2d"/>) over the same weight and bias parameters (so state dicts are
/// unchanged), with the layer's hardware from the config; layers the config keeps digital stay
/// as they are. <see cref="ToDigital"/> is the way back.
/// </summary>
public static class AnalogConversion
{
    // Layer type -> its analog layer (name, layer, hardware); checked in order, so a subclass maps before its base.
    static readonly List<(Type Type, Func<string, nn.Module, LayerHardware, AnalogLayer> ToAnalog)> ConversionMap =
        new()
    {
        (typeof(Linear), (name, m, hw) => new AnalogLinear(name, ((Linear)m).weight!, ((Linear)m).bias, hw)),
        (typeof(Conv2d), (name, m, hw) => MakeConv(name, (Conv2d)m, hw)),
        (typeof(FloatConv2d), (name, m, hw) =>
        {
            var f = (FloatConv2d)m;
            return new AnalogConv2d(name, f.weight, f.bias, f.Stride, f.Padding, f.Dilation, hw, f.Groups);
        }),
    };

    /// <summary>
    /// Adds a layer type to the conversion map: <paramref name="toAnalog"/> makes its analog layer
    /// (whose <see cref="AnalogLayer.ToDigital"/> is the way back) from the layer's name, the layer and its hardware.
    /// </summary>
    public static void Map<T>(Func<string, T, LayerHardware, AnalogLayer> toAnalog) where T : nn.Module
    {
        lock (ConversionMap) ConversionMap.Insert(0, (typeof(T), (name, m, hw) => toAnalog(name, (T)m, hw)));
    }

    static Func<string, nn.Module, LayerHardware, AnalogLayer>? Converter(nn.Module m)
    {
        lock (ConversionMap) return ConversionMap.FirstOrDefault(e => e.Type.IsInstanceOfType(m)).ToAnalog;
    }

    /// <summary>
    /// The way back: every analog layer becomes its digital layer over the same parameters
    /// (<see cref="AnalogLayer.ToDigital"/>), so the model computes what it did before conversion.
    /// </summary>
    public static T ToDigital<T>(T model) where T : nn.Module
    {
        foreach (var (name, module) in model.named_modules().Where(m => m.module is AnalogLayer)
            .Select(m => (m.name, m.module)).ToList())
        {
            var (parent, child) = Locate(model, name);
            var analog = (AnalogLayer)module;
            Replace(parent, child, module, analog.ToDigital());
            analog.ResetCalibration();   // frees its chip; the parameters live on in the digital layer
        }
        return model;
    }

    /// <summary>
    /// Replaces every layer of <paramref name="model"/> with an analog twin where the map has one
    /// (Linear, Conv2d, ...), in place, each on its layer's hardware from <paramref name="config"/>
    /// (layers the config keeps digital stay); an analog layer already there is retargeted.
    /// </summary>
    public static T Convert<T>(T model, HardwareConfig config) where T : nn.Module
    {
        var mapped =
            model.named_modules().Where(m => m.module is AnalogLayer || Converter(m.module) is not null)
            .Select(m => (m.name, m.module)).ToList();
        // A mapped layer is converted whole: the layers inside it are its own business.
        var weightLayers =
            mapped.Where(l =>
            !mapped.Any(o => o.name.Length > 0 && l.name.StartsWith(o.name + ".", StringComparison.Ordinal))).ToList();
        CheckLayerNames(config, weightLayers.Select(l => l.name).ToList());
        // First and last in the order the network computes them: depth first (torch's module listing goes breadth
        // first, which puts a classifier beside a container before the layers inside it).
        var order = DepthFirst(model, "").Select((name, k) => (name, k)).ToDictionary(p => p.name, p => p.k);
        weightLayers = weightLayers.OrderBy(l => order[l.name]).ToList();
        for (int i = 0; i < weightLayers.Count; i++)
        {
            var (name, module) = weightLayers[i];
            bool digital = config.IsDigital(name, i == 0, i == weightLayers.Count - 1);
            if (module is AnalogLayer analog)
            {
                // Already converted: retarget to the new hardware (the next forward programs it).
                analog.Retarget(config.For(name), digital ? Execution.Float : Execution.Analog);
                continue;
            }
            if (digital) continue;
            var (parent, child) = Locate(model, name);
            Replace(parent, child, module, Converter(module)!(name, module, config.For(name)));
        }
        return model;
    }

    /// <summary>
    /// A layer named in the config must be a weight layer of this model: a misspelt name would silently change nothing.
    /// </summary>
    static void CheckLayerNames(HardwareConfig config, List<string> layers)
    {
        var known = string.Join(", ", layers);
        foreach (var name in config.Layers.Keys.Where(n => !layers.Contains(n)))
            throw new ImcInputException(
                $"{config.Source}: layers.{name}: the model has no weight layer '{name}'; its layers are: {known}");
        foreach (var name in config.DigitalLayers.Where(n => !layers.Contains(n)))
            throw new ImcInputException(
                $"{config.Source}: digital_layers: the model has no weight layer '{name}'; its layers are: {known}");
    }

    static AnalogConv2d MakeConv(string name, Conv2d c, LayerHardware hw)
    {
        if (c.padding_type is not null) throw new ImcInputException(
            $"layer {name}: 'same'/'valid' padding modes are not supported; use explicit padding");
        return new AnalogConv2d(name, c.weight!, c.bias, c.stride, c.padding!, c.dilation, hw, c.groups);
    }

    /// <summary>Module names depth first: a module, then each child's subtree in registration order.</summary>
    static IEnumerable<string> DepthFirst(nn.Module module, string name)
    {
        if (name.Length > 0) yield return name;                  // torch lists no name for the root
        foreach (var (child, m) in module.named_children())
            foreach (var n in DepthFirst(m, name.Length == 0 ? child : name + "." + child)) yield return n;
    }

    /// <summary>
    /// All analog layers of a model depth first, the order the network computes them in (what the cost model lists
    /// and what "first" and "last" layer mean).
    /// </summary>
    public static List<AnalogLayer> LayersDepthFirst(nn.Module model)
    {
        var byName = model.named_modules().ToDictionary(m => m.name, m => m.module);
        return DepthFirst(model, "").Select(n => byName[n]).OfType<AnalogLayer>().ToList();
    }

    /// <summary>
    /// All analog layers of a model, in torch's module listing (breadth first); their index seeds their chips' draws.
    /// </summary>
    public static List<AnalogLayer> Layers(nn.Module model) =>
        model.modules().OfType<AnalogLayer>().ToList();

    /// <summary>
    /// Programs every analog layer onto chip <paramref name="chip"/> (layers draw from distinct
    /// seeds). The chip's global draw (the ADCs' process corner, shared by all its layers) comes
    /// from the chip itself, or from <paramref name="corner"/> when chips are grouped by corner
    /// (a population file's corners are then taken in order).
    /// </summary>
    public static void Program(nn.Module model, long chip, int? corner = null) =>
        ProgramChips(model, new[] { (chip, corner) });

    /// <summary>
    /// Programs every analog layer onto several chips at once, each as <see cref="Program"/> would:
    /// a forward then takes one block of samples per chip, in this order (see
    /// <see cref="AnalogLayer.ProgramChips"/>), and the Monte Carlo runs the chips in one batched pass.
    /// </summary>
    public static void ProgramChips(nn.Module model, IReadOnlyList<(long Chip, int? Corner)> chips)
    {
        var layers = Layers(model);
        for (int i = 0; i < layers.Count; i++)
            layers[i].ProgramChips(
                chips.Select(c =>
                new ChipSeeds(Seeds.Chip(c.Chip, i), c.Corner is int k ? Seeds.Corner(k) : Seeds.Chip(c.Chip, -1),
                c.Corner)).ToArray());
    }

    /// <summary>Every analog layer's calibration by layer name (stored with peripheral-aware checkpoints).</summary>
    public static Dictionary<string, LayerCalibration> Calibrations(nn.Module model) =>
        Layers(model).Where(l => l.Calibration is not null).ToDictionary(l => l.LayerName, l => l.Calibration!);

    /// <summary>Restores stored calibrations; layers not named keep theirs.</summary>
    public static void Apply(nn.Module model, IReadOnlyDictionary<string, LayerCalibration> calibrations)
    {
        foreach (var l in Layers(model))
            if (calibrations.TryGetValue(l.LayerName, out var c)) l.Apply(c);
    }

    /// <summary>Sets every analog layer of <paramref name="model"/> to run as <paramref name="execution"/>.</summary>
    public static void SetExecution(nn.Module model, Execution execution)
    {
        foreach (var l in Layers(model)) l.Execution = execution;
    }

    /// <summary>
    /// Whether an analog layer still lacks its input range or a calibrated ADC range (what
    /// <see cref="CalibrateAdcRanges"/> would set).
    /// </summary>
    public static bool NeedsCalibration(nn.Module model) =>
        Layers(model).Any(l => l.InputRange is null || l.AdcRangesPending);

    /// <summary>
    /// Sets every analog layer's input range (and calibrated ADC ranges) from one forward pass over
    /// <paramref name="x"/>.
    /// </summary>
    public static void CalibrateInputs(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        foreach (var l in Layers(model)) l.ResetCalibration();
        CalibrateAdcRanges(model, x);
    }

    /// <summary>
    /// Sets the calibrated ADC ranges that are not set yet (<see cref="AnalogLayer.AdcRangesPending"/>,
    /// and input ranges that are not) from one forward pass over <paramref name="x"/>; no pass when none is pending.
    /// </summary>
    public static void CalibrateAdcRanges(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        if (!NeedsCalibration(model)) return;
        var layers = Layers(model);
        var saved = layers.Select(l => l.Execution).ToList();
        var pending = layers.Where(l => l.InputRange is null || l.AdcRangesPending).ToList();
        foreach (var l in layers) l.ResetCounts();
        Pass(model, x, layers, Execution.QuantizedDigital);
        // A layer called more than once (a recurrent one, every step) took its ranges from its first call (a zero
        // state): it is calibrated on all its calls of a float pass instead, and the other pending layers again on
        // what it now gives them.
        var reused = pending.Where(l => l.Calls > 1 && l is AnalogLinear).ToList();
        if (reused.Count > 0)
        {
            foreach (var l in reused) l.RecordedInputs = new();
            try
            {
                Pass(model, x, layers, Execution.Float);
                foreach (var l in reused)
                {
                    using var all = cat(l.RecordedInputs!.ToArray(), 0);
                    l.CalibrateOn(all);
                }
            }
            finally
            {
                foreach (var l in reused)
                {
                    foreach (var t in l.RecordedInputs ?? new()) t.Dispose();
                    l.RecordedInputs = null;
                }
            }
            foreach (var l in pending.Except(reused)) l.ResetCalibration();
            Pass(model, x, layers, Execution.QuantizedDigital);
        }
        for (int i = 0; i < layers.Count; i++) layers[i].Execution = saved[i];
        NativeRuntime.ReturnFreeHeap();
    }

    /// <summary>
    /// One calibration pass over <paramref name="x"/> in <paramref name="execution"/>: quantized-digital
    /// execution calibrates each pending layer on the inputs it really receives.
    /// </summary>
    static void Pass(nn.Module<Tensor, Tensor> model, Tensor x, List<AnalogLayer> layers, Execution execution)
    {
        foreach (var l in layers) l.Execution = execution;
        using (no_grad())
        using (NewDisposeScope())
        {
            model.eval();
            model.call(ComputeTarget.On(x, ComputeTarget.Of(model)));
        }
    }

    static (nn.Module Parent, string Child) Locate(nn.Module root, string path)
    {
        var parts = path.Split('.');
        var parent = root;
        foreach (var p in parts[..^1]) parent = parent.named_children().First(c => c.name == p).module;
        return (parent, parts[^1]);
    }

    static readonly FieldInfo SubmodulesField =
        typeof(nn.Module).GetField("_internal_submodules", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new InvalidOperationException("TorchSharp's Module layout changed: _internal_submodules not found");

    /// <summary>
    /// Swaps a child module: in the parent's registry, in any field that held it, and in a
    /// ModuleList's list. A field whose declared type cannot hold the analog layer is an error.
    /// </summary>
    static void Replace(nn.Module parent, string child, nn.Module old, nn.Module replacement)
    {
        bool assigned = false;
        for (var t = parent.GetType(); t is not null && t != typeof(nn.Module); t = t.BaseType)
        {
            foreach (var f in t.GetFields(
                BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                // A container's list of children (Sequential's modules, a ModuleList): replace the entry in place.
                if (f.GetValue(parent) is System.Collections.IList items && items.IndexOf(old) is var i and >= 0)
                {
                    var element =
                        items.GetType().IsGenericType ? items.GetType().GetGenericArguments()[0] : typeof(object);
                    if (!element.IsInstanceOfType(replacement))
                        throw new ImcInputException(
                            $"cannot convert layer {child} of {parent.GetType().Name}: its list '{f.Name}' " +
                            $"holds {element.Name}; declare it of Module<Tensor, Tensor>");
                    items[i] = replacement;
                    assigned = true;
                    continue;
                }
                if (!ReferenceEquals(f.GetValue(parent), old)) continue;
                if (!f.FieldType.IsInstanceOfType(replacement))
                    throw new ImcInputException(
                        $"cannot convert layer {child} of {parent.GetType().Name}: its field '{f.Name}' is declared " +
                        $"as {f.FieldType.Name}; declare it as Module<Tensor, Tensor>");
                f.SetValue(parent, replacement);
                assigned = true;
            }
        }
        if (parent is IList<nn.Module<Tensor, Tensor>> list && replacement is nn.Module<Tensor, Tensor> r)
        {
            int idx = list.IndexOf((nn.Module<Tensor, Tensor>)old);
            if (idx >= 0) { list[idx] = r; assigned = true; }
        }
        // Same name, same position in the registry: parameter order and state-dict names are unchanged.
        // (A container that registers its children lazily, as Sequential, has no entry yet.)
        var subs = SubmodulesField.GetValue(parent)!;
        var type = subs.GetType();
        var entry = (child, old);
        int at = (int)type.GetMethod("IndexOf", new[] { entry.GetType() })!.Invoke(subs, new object[] { entry })!;
        if (at >= 0)
        {
            type.GetMethod("RemoveAt")!.Invoke(subs, new object[] { at });
            type.GetMethod("Insert")!.Invoke(subs, new object[] { at, (child, replacement) });
        }
        if (!assigned)
            throw new ImcInputException(
                $"cannot convert layer {child} of {parent.GetType().Name}: no field or list holds it");
    }
}
