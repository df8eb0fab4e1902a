using ImcSharp.Converters;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// The ADC banks of a stack's chips, each on its chip's block of tiles (evaluation only: no gradient table).
/// </summary>
internal sealed class StackedAdc(IAdc[] banks, int tiles) : IAdc
{
    public int Bits => banks[0].Bits;
    public double[] LowCodes => banks[0].LowCodes;

    public Tensor Convert(Tensor p)
    {
        for (int k = 0; k < banks.Length; k++)
        {
            using var block = p.narrow(0, (long)k * tiles, tiles);
            using var converted = banks[k].Convert(block);
            // A bank may convert in place (then there is nothing to copy) or return new codes.
            bool inPlace =
                converted.device_type == DeviceType.CPU && block.device_type == DeviceType.CPU
                && converted.is_contiguous() && block.is_contiguous()
                           && NativeData.Address(converted) == NativeData.Address(block);
            if (!inPlace) block.copy_(converted);
        }
        return p;
    }

    public Tensor SlopeTable(AdcGradient mode) =>
        throw new NotSupportedException("a stack of chips evaluates; training programs one chip at a time");

    public bool IntegerLevels => banks.All(b => b.IntegerLevels);

    public void Dispose() { }   // the chips own their banks
}
