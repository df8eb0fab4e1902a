using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>
/// A network's forward step by step, each step's temporaries freed when it returns. Under the
/// caller's dispose scope (one per batch) every tensor a forward makes would live until the batch
/// ends: for ResNet-20 at 500 images that is every activation of all 19 convolutions at once (a
/// peak of 5 GB in an evaluation). Autograd keeps what backward needs on its own references, so
/// freeing the handles early is safe in training too.
/// </summary>
public static class Steps
{
    /// <summary>
    /// <paramref name="step"/> applied to <paramref name="h"/> in a dispose scope of its own; its
    /// result outlives it. <paramref name="h"/> is freed unless it is the forward's own input
    /// <paramref name="input"/> (the caller's) or the result itself.
    /// </summary>
    public static Tensor Then(Tensor h, Tensor input, Func<Tensor, Tensor> step)
    {
        var y = Scoped(() => step(h), new[] { h });
        if (!ReferenceEquals(h, input) && !ReferenceEquals(h, y)) h.Dispose();
        return y;
    }

    /// <summary>
    /// <paramref name="step"/> in a dispose scope of its own, its result moved out of it, unless the
    /// result is one of <paramref name="existing"/> (a value it only hands on, as Identity does,
    /// which is not the step's to move).
    /// </summary>
    public static Tensor Scoped(Func<Tensor> step, IEnumerable<Tensor> existing) =>
        Scoped(() => new[] { step() }, existing)[0];

    /// <summary>The same for a step of several results (a node of several outputs).</summary>
    public static Tensor[] Scoped(Func<Tensor[]> step, IEnumerable<Tensor> existing)
    {
        using var scope = NewDisposeScope();
        var ys = step();
        var kept = existing.ToList();
        return ys.Select(y => kept.Any(t => ReferenceEquals(t, y)) ? y : y.MoveToOuterDisposeScope()).ToArray();
    }
}
