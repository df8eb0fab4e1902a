using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ImcSharp.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Memory;

/// <summary>
/// <see cref="RramCell"/>'s programming arithmetic in one pass over dense float32 digits d, with
/// the draws z (standard normal) and u (uniform) torch made: per cell, in float32 and in the order
/// torch's operations round (each a pass of its own there, so the same numbers bit for bit,
/// <c>Memory/RramProgramKernelTests</c>),
///   sigma = ((d / top) (s - s0) + s0) G_max,   g = (d dG + G_min) + sigma z,
///   g = G_max if u &lt; p_on, G_min if p_on &lt;= u &lt; p_on + p_off,   g = max(g, 0),
///   contribution = (g - G_min) / dG,   read sigma = g (r / dG),
/// the constants rounded to float32 as torch rounds a number it is given.
/// </summary>
internal static unsafe class RramProgramKernel
{
    /// <param name="dG">The level step (G_max - G_min) / top (S); <paramref name="digits"/>, z and u
    /// contiguous.</param>
    public static (Tensor Contribution, Tensor Conductance, Tensor? Read) Run(CellConfig cell, int top, double dG,
        Tensor digits, Tensor? z, Tensor? u)
    {
        var c = new Constants
        {
            Top = top, SigmaSlope = (float)(cell.ProgrammingSigma - cell.ProgrammingSigmaAtGmin),
                SigmaAtGmin = (float)cell.ProgrammingSigmaAtGmin,
            GMax = (float)cell.GMax, GMin = (float)cell.GMin, DG = (float)dG,
            On = (float)cell.StuckOnRate, OnOff = (float)(cell.StuckOnRate + cell.StuckOffRate),
                Read = (float)(cell.ReadNoise / dG),
        };
        var contribution = DenseKernel.EmptyLike(digits);
        var conductance = DenseKernel.EmptyLike(digits);
        var read = cell.ReadNoise > 0 ? DenseKernel.EmptyLike(digits) : null;
        float* d = DenseKernel.Data(digits), cp = DenseKernel.Data(contribution), gp = DenseKernel.Data(conductance);
        float* zp = z is null ? null : DenseKernel.Data(z), up = u is null ? null : DenseKernel.Data(u), rp =
            read is null ? null : DenseKernel.Data(read);
        DenseKernel.For(digits.numel(),
            (start, n) => Cells(c, d + start, zp == null ? null : zp + start, up == null ? null : up + start,
            cp + start, gp + start, rp == null ? null : rp + start, n));
        return (contribution, conductance, read);
    }

    struct Constants
    {
        public float Top, SigmaSlope, SigmaAtGmin, GMax, GMin, DG, On, OnOff, Read;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Cells(Constants c, float* d, float* z, float* u, float* contribution, float* conductance, float* read,
        int n)
    {
        var top = Vector256.Create(c.Top);
        var slope = Vector256.Create(c.SigmaSlope);
        var s0 = Vector256.Create(c.SigmaAtGmin);
        var gMax = Vector256.Create(c.GMax);
        var gMin = Vector256.Create(c.GMin);
        var dG = Vector256.Create(c.DG);
        var on = Vector256.Create(c.On);
        var onOff = Vector256.Create(c.OnOff);
        var r = Vector256.Create(c.Read);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var dv = Vector256.Load(d + i);
            var g = dv * dG + gMin;
            if (z != null) g += ((dv / top) * slope + s0) * gMax * Vector256.Load(z + i);
            if (u != null)
            {
                var uv = Vector256.Load(u + i);
                var stuckOn = Vector256.LessThan(uv, on);
                g = Vector256.ConditionalSelect(stuckOn, gMax,
                    Vector256.ConditionalSelect(Vector256.LessThan(uv, onOff), gMin, g));
            }
            g = Vector256.Max(g, Vector256<float>.Zero);
            g.Store(conductance + i);
            ((g - gMin) / dG).Store(contribution + i);
            if (read != null) (g * r).Store(read + i);
        }
        for (; i < n; i++)
        {
            float g = d[i] * c.DG + c.GMin;
            if (z != null) g += ((d[i] / c.Top) * c.SigmaSlope + c.SigmaAtGmin) * c.GMax * z[i];
            if (u != null)
            {
                if (u[i] < c.On) g = c.GMax;
                else if (u[i] < c.OnOff) g = c.GMin;
            }
            g = MathF.Max(g, 0f);
            conductance[i] = g;
            contribution[i] = (g - c.GMin) / c.DG;
            if (read != null) read[i] = g * c.Read;
        }
    }
}
