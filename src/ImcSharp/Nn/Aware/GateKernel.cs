using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ImcSharp.Converters;
using TorchSharp;
using static TorchSharp.torch;

using ImcSharp.Crossbar;

namespace ImcSharp.Nn.Aware;

/// <summary>
/// The training gate (<see cref="AdcGate"/>) in one pass over the partial sums [T, P B, J]:
/// per row, the slope entries of its J columns (<see cref="SlopeLookupKernel"/>'s operations), then
/// per signal column the mean of a pair's two entries ((g+ + g-) 0.5), per output the slices'
/// weighted entries added one after another (g_0 w_0 + g_1 w_1 + ...), and per phase the same
/// with the phase weights: the float32 operations of the torch path in its order, so the same
/// gate bit for bit (<c>Crossbar/GateTests</c>), without writing the entries of every column.
/// </summary>
internal static unsafe class GateKernel
{
    public static bool Supported => SlopeLookupKernel.Supported;

    /// <param name="shift">low code - 1 per converted column (J values).</param>
    /// <param name="sliceWeights">Normalized slice weights (S values; unused for one slice).</param>
    /// <param name="phaseWeights">Normalized phase weights (P values; unused for one phase).</param>
    public static Tensor Gate(Tensor table, Tensor p, float[] shift, int P, int N, int S, bool digital, bool shared,
        float[] sliceWeights, float[] phaseWeights)
    {
        long T = p.size(0), B = p.size(1) / P;
        int J = (int)p.size(2), NS = N * S;
        var entries = table.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        var result = empty(new long[] { T, B, N });
        float* x = (float*)NativeData.Pointer(p), gate = (float*)NativeData.Pointer(result);
        long rows = T * B, perTask = Math.Max(1, (1L << 16) / ((long)P * J));
        // Rows of one tile and phase lie one after another: their entries are looked up a block of
        // rows at a time with the columns' shifts repeated, so narrow rows (LeNet-5's first
        // convolution has six columns) run whole vectors instead of a vector and a scalar tail each.
        int block = Math.Max(1, Math.Min(256, 2048 / J));
        // One phase, one slice, each column its own output (analog subtraction): the entries are the gate.
        bool direct = P == 1 && S == 1 && !digital && J == N;
        TorchThreads.For((rows + perTask - 1) / perTask, Math.Max(1, get_num_threads()), task =>
        {
            float* g = stackalloc float[block * J];
            float* shifts = stackalloc float[block * J];
            float* signal = stackalloc float[Math.Max(1, NS)];
            for (int k = 0; k < block * J; k++) shifts[k] = shift[k % J];
            fixed (float* tab = entries, ws = sliceWeights, wc = phaseWeights)
                for (long i = task * perTask, end = Math.Min(rows, i + perTask); i < end;)
                {
                    long t = i / B, b = i % B;
                    int count = (int)Math.Min(block, Math.Min(end - i, B - b));   // rows of tile t from sample b
                    if (direct)
                    {
                        SlopeLookupKernel.Row(x + (t * B + b) * J, gate + i * N, count * J, tab, entries.Length - 1,
                            shifts);
                        i += count;
                        continue;
                    }
                    for (int c = 0; c < P; c++)
                    {
                        SlopeLookupKernel.Row(x + ((t * P + c) * B + b) * J, g, count * J, tab, entries.Length - 1,
                            shifts);
                        for (int r = 0; r < count; r++)
                            Combine(g + (long)r * J, signal, gate + (i + r) * N, c, P, N, S, NS, digital, shared, ws,
                                wc);
                    }
                    i += count;
                }
        });
        return result;
    }

    /// <summary>
    /// Phase c's entries g (J of them) into the gate row <paramref name="output"/> (N values);
    /// <paramref name="signal"/> is room for NS values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Combine(float* g, float* signal, float* output, int c, int P, int N, int S, int NS, bool digital,
        bool shared, float* ws, float* wc)
    {
        // A pair's output moves with both columns' codes; a reference column holds no weight.
        float* sg = g;
        if (digital && !shared)
        {
            var half = Vector256.Create(0.5f);
            int j = 0;
            for (; j + 8 <= NS; j += 8) ((Vector256.Load(g + j) + Vector256.Load(g + NS + j)) * half).Store(signal + j);
            for (; j < NS; j++) signal[j] = (g[j] + g[NS + j]) * 0.5f;
            sg = signal;
        }
        if (S > 1)
        {
            // Slices one after another; the result replaces the signal entries' first N places
            // (eight outputs read sixteen entries before they write eight of them).
            int n = 0;
            if (S == 2)
            {
                var w0 = Vector256.Create(ws[0]);
                var w1 = Vector256.Create(ws[1]);
                for (; n + 8 <= N; n += 8)
                {
                    var (first, second) = DenseKernel.Deinterleave(sg + 2 * n);
                    (first * w0 + second * w1).Store(signal + n);
                }
            }
            for (; n < N; n++)
            {
                float* e = sg + n * S;
                float perSlice = e[0] * ws[0];
                for (int s = 1; s < S; s++) perSlice += e[s] * ws[s];
                signal[n] = perSlice;
            }
            sg = signal;
        }
        int i = 0;
        if (P == 1)
        {
            for (; i + 8 <= N; i += 8) Vector256.Load(sg + i).Store(output + i);
            for (; i < N; i++) output[i] = sg[i];
        }
        else if (c == 0)
        {
            var w = Vector256.Create(wc[0]);
            for (; i + 8 <= N; i += 8) (Vector256.Load(sg + i) * w).Store(output + i);
            for (; i < N; i++) output[i] = sg[i] * wc[0];
        }
        else
        {
            var w = Vector256.Create(wc[c]);
            for (; i + 8 <= N; i += 8) (Vector256.Load(output + i) + Vector256.Load(sg + i) * w).Store(output + i);
            for (; i < N; i++) output[i] = output[i] + sg[i] * wc[c];
        }
    }
}
