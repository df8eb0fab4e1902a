using ImcSharp.Config;
using ImcSharp.Converters;
using ImcSharp.Cost;
using ImcSharp.Data;
using ImcSharp.Models;

namespace ImcSharp.Sweeps;

/// <summary>
/// The designs of a spec's points and their prices: the base hardware and ADC configs read once, the model's weight
/// layers from the training images' shape. Pricing is instant, so a sweep or a search prices with today's cost model
/// whenever it reports.
/// </summary>
public sealed class PointDesigns
{
    readonly HardwareConfig _base;
    readonly Dictionary<string, AdcConfig> _adcs;
    readonly string _model;
    readonly IReadOnlyList<LayerShape> _shapes;
    readonly Dictionary<string, SweepPoint> _points;

    public PointDesigns(SweepSpec spec, ImageSet train)
    {
        _base = HardwareConfig.Load(spec.Hardware);
        _adcs = spec.Adcs.ToDictionary(kv => kv.Key, kv => AdcConfigFile.Load(kv.Value).Config);
        var model =
            new ModelSpec(ModelSpec.Canonical(spec.Model), train.Channels, train.Height, train.Width, train.Classes);
        _model = model.Name;
        _shapes = Nn.LayerShapes.Of(model);
        _points = spec.Points().ToDictionary(p => p.Id);
    }

    /// <summary>The spec's point of this id, if it has one.</summary>
    public SweepPoint? Point(string id) => _points.GetValueOrDefault(id);

    /// <summary>The point's design (<see cref="SweepRunner.Hardware"/>).</summary>
    public HardwareConfig Hardware(SweepPoint p) => SweepRunner.Hardware(_base, _adcs[p.Adc], p);

    /// <summary>One inference of the spec's model on the point's design.</summary>
    public NetworkCost Price(SweepPoint p) => CoreCostModel.Price(_model, _shapes, Hardware(p));
}
