using ImcSharp.Crossbar;
using static TorchSharp.torch;

namespace ImcSharp.Nn.Aware;

/// <summary>
/// The differentiable stand-in of a layer on hardware, which gives peripheral-aware training its
/// gradient (<see cref="StraightThrough.Output"/>): y_sur = sum_t (x~_t W~_t^T) * G_t + b, with
/// x~, W~ the quantized inputs and weights with straight-through gradients
/// (<see cref="StraightThrough.Inputs"/>, <see cref="StraightThrough.Weights"/>), t the array
/// tiles, and G_t the ADCs' gate averaged over cycles and slices (<see cref="AnalogMvm"/>).
/// </summary>
public static class Surrogate
{
    /// <summary>
    /// The terms of y_sur, each with its gate (the bias with none), in the output's layout; they
    /// give the gradient only, so nothing multiplies or adds them. <paramref name="gate"/> is the
    /// engine's [T, rows, N] for the input vectors of <paramref name="x"/>.
    /// </summary>
    public static (Tensor, Tensor?)[] Terms(LayerWiring layer, Tensor weightMatrix, int tiles, Tensor x, Tensor gate)
    {
        var core = layer.Hardware.Core;
        var (input, bias, vectors) = (layer.Input, layer.Bias, layer.Vectors);
        var conv = vectors as ConvGeometry;
        // Clipping and quantizing act per element: on the images of a convolution, before its receptive fields.
        var values = conv is null ? vectors.ToRows(x) : x;
        var xt = StraightThrough.Inputs(values, input.Scale, core.InputBits, input.Signed, layer.Target);
        var wt = StraightThrough.Weights(weightMatrix, core.WeightBits, layer.Target);
        long outputs = weightMatrix.size(0);
        var terms = new List<(Tensor, Tensor?)>();
        if (conv is not null)
        {
            // conv(x~, W~ on tile t's rows) with G_t [B L, N] as images [B, N, Ho, Wo].
            var (h, wd) = conv.Output(x);
            for (int t = 0; t < tiles; t++)
            {
                var (c0, count) = conv.TileChannels(t, core.Rows);
                var kernel = tiles == 1 ? wt.view(outputs, -1, conv.KernelH, conv.KernelW)
                    : conv.TileKernel(wt, t, core.Rows);
                var yt = conv.Convolve(count == conv.Channels ? xt : xt.narrow(1, c0, count), kernel);
                terms.Add((yt, gate[t].view(x.size(0), h, wd, -1).permute(0, 3, 1, 2)));
            }
            if (bias is not null) terms.Add((bias.view(1, -1, 1, 1), null));
            return terms.ToArray();
        }
        // Input vectors [M, K]: tile t's products [M, N] (all tiles as [T, M, N]) and its gate, in the output's shape.
        var shape = x.Sizes()[..^1].Append(outputs).ToArray();
        if (tiles == 1) terms.Add((vectors.FromRows(xt.matmul(wt.t()), x), gate[0].view(shape)));
        else
        {
            long m = xt.size(0), n = wt.size(0), r = core.Rows, pad = tiles * r - wt.size(1);
            var xp = nn.functional.pad(xt, new long[] { 0, pad }).view(m, tiles, r).transpose(0, 1);       // [T, M, R]
            var wp = nn.functional.pad(wt, new long[] { 0, pad }).view(n, tiles, r).permute(1, 2, 0);      // [T, R, N]
            var tileShape = shape.Prepend(tiles).ToArray();
            terms.Add((xp.bmm(wp).view(tileShape), gate.view(tileShape)));
        }
        if (bias is not null) terms.Add((bias, null));
        return terms.ToArray();
    }
}
