namespace ImcSharp;

/// <summary>
/// Every seed ImcSharp derives, in one place: each random stream (a chip's cells, its ADCs'
/// global and local draws, read noise, conversion noise, a training step's chip, an epoch's
/// shuffle, a drawn ADC population) is a fixed function of the user's seeds, so the same seeds
/// give the same numbers. The mixing constants are SplitMix64's (odd 64-bit constants with good
/// bit diffusion); distinct streams use distinct constants or offsets so they never coincide.
/// </summary>
public static class Seeds
{
    const ulong Golden = 0x9E3779B97F4A7C15UL;   // 2^64 / golden ratio: SplitMix64's increment
    const ulong MixA = 0xBF58476D1CE4E5B9UL;     // SplitMix64's first multiplier
    const ulong MixB = 0x94D049BB133111EBUL;     // SplitMix64's second multiplier
    const ulong CornerMul = 0xD6E8FEB86659FD93UL;
    const ulong CornerAdd = 0x2545F4914F6CDD1DUL;
    const ulong NoiseXor = 0xD1B54A32D192ED03UL;

    /// <summary>
    /// Layer <paramref name="layer"/> of chip <paramref name="chip"/> (its cells; layer -1: the chip's global draw).
    /// </summary>
    public static ulong Chip(long chip, int layer) => unchecked((ulong)chip * Golden + (ulong)layer * MixA + MixB);

    /// <summary>Global corner <paramref name="corner"/>: distinct from every chip seed's stream.</summary>
    public static ulong Corner(int corner) => unchecked((ulong)corner * CornerMul + CornerAdd);

    /// <summary>The local (per instance) draws of a layer's ADCs, from the layer's chip seed.</summary>
    public static ulong AdcLocal(ulong layerSeed) => layerSeed ^ MixB;

    /// <summary>A layer's read noise, from its chip seed.</summary>
    public static ulong ReadNoise(ulong layerSeed) => layerSeed ^ Golden;

    /// <summary>A bank's temporal conversion noise, from its local seed.</summary>
    public static ulong ConversionNoise(ulong adcLocalSeed) => adcLocalSeed ^ NoiseXor;

    /// <summary>The chip of training step (epoch, step) when every step draws a fresh one.</summary>
    public static long TrainingChip(long seed, int epoch, int step) =>
        (long)(unchecked((ulong)seed * Golden ^ ((ulong)epoch << 32) ^ (ulong)step) >> 2);

    /// <summary>The shuffle and augmentation of epoch <paramref name="epoch"/>.</summary>
    public static ulong Epoch(long seed, int epoch) => unchecked((ulong)(seed * 1_000_003 + epoch * 7919 + 17));

    /// <summary>
    /// Global and local draws of chip <paramref name="chip"/> of a population drawn from a config (`imc adc show`).
    /// </summary>
    public static (ulong Global, ulong Local) Population(long seed, int chip) =>
        (unchecked((ulong)seed * Golden + (ulong)chip), unchecked((ulong)seed * MixA + (ulong)chip + 1));
}
