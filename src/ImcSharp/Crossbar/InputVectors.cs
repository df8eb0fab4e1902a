using static TorchSharp.torch;

namespace ImcSharp.Crossbar;

/// <summary>
/// How a layer's samples become crossbar input vectors (one per row of [M, K]) and its output
/// rows [M, N] return to the layer's output shape: a matmul layer's last dimension is the vector;
/// a convolution's receptive fields are (<see cref="ConvGeometry"/>).
/// </summary>
public interface IInputVectors
{
    /// <summary>Input vectors [M, K] of a batch of samples.</summary>
    Tensor ToRows(Tensor x);
    /// <summary>Outputs [M, N] back to the layer's output shape for the samples <paramref name="x"/>.</summary>
    Tensor FromRows(Tensor y, Tensor x);
    /// <summary>Input vectors per sample.</summary>
    long RowsPerSample(Tensor x);
}

/// <summary>A matmul layer's input vectors: the last dimension, every leading position one vector.</summary>
public sealed class MatrixRows : IInputVectors
{
    /// <summary>The one instance (it holds nothing).</summary>
    public static readonly MatrixRows Instance = new();
    MatrixRows() { }

    /// <inheritdoc/>
    public Tensor ToRows(Tensor x) => x.reshape(-1, x.Sizes()[^1]);
    /// <inheritdoc/>
    public Tensor FromRows(Tensor y, Tensor x) => y.view(x.Sizes()[..^1].Append(y.size(1)).ToArray());
    /// <inheritdoc/>
    public long RowsPerSample(Tensor x) => x.Sizes()[1..^1].Aggregate(1L, (a, b) => a * b);
}
