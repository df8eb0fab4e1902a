using ImcSharp.Config;
using ImcSharp.Crossbar;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

/// <summary>The column layout: where each converted column sits and what the back end subtracts, for the three arrangements.</summary>
public class ColumnLayoutTests
{
    static ColumnLayout Of(Subtraction subtract, WeightMapping mapping) =>
        ColumnLayout.Of(new CoreConfig { WeightBits = 4, BitsPerCell = 2, Subtract = subtract, Mapping = mapping }, outputs: 3);

    [Fact]
    public void ColumnsSlicesAndPartnersFollowTheArrangement()
    {
        var signed = Of(Subtraction.Analog, WeightMapping.Differential);
        var pairs = Of(Subtraction.Digital, WeightMapping.Differential);
        var refs = Of(Subtraction.Digital, WeightMapping.Offset);
        Assert.Equal((ColumnArrangement.Signed, 6), (signed.Arrangement, signed.ConvertedColumns));
        Assert.Equal((ColumnArrangement.Pairs, 12), (pairs.Arrangement, pairs.ConvertedColumns));
        Assert.Equal((ColumnArrangement.References, 8), (refs.Arrangement, refs.ConvertedColumns));
        Assert.Equal(new[] { 0, 1, 0, 1, 0, 1 }, signed.ColumnSlices());
        Assert.Equal(new[] { 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 }, pairs.ColumnSlices());
        Assert.Equal(new[] { 0, 1, 0, 1, 0, 1, 0, 1 }, refs.ColumnSlices());
        Assert.Null(signed.Subtracted(4));
        Assert.Equal(10, pairs.Subtracted(4));                // output 2, slice 0: its minus column
        Assert.Equal(7, refs.Subtracted(5));                  // output 2, slice 1: slice 1's reference
        Assert.False(signed.Unsigned);
        Assert.True(pairs.Unsigned && refs.Unsigned && refs.SharedReference && !pairs.SharedReference);
    }

    [Fact]
    public void TheSubtractionIsTheColumnsMinusTheirPartners()
    {
        using var scope = NewDisposeScope();
        foreach (var layout in new[] { Of(Subtraction.Analog, WeightMapping.Differential), Of(Subtraction.Digital, WeightMapping.Differential),
                     Of(Subtraction.Digital, WeightMapping.Offset) })
        {
            var codes = randint(0, 31, new long[] { 4, layout.ConvertedColumns }, generator: new Generator(1)).to_type(ScalarType.Float32);
            var d = layout.Subtract(codes);
            Assert.Equal(new long[] { 4, layout.SignalColumns }, d.shape);
            for (int j = 0; j < layout.SignalColumns; j++)
            {
                var expected = layout.Subtracted(j) is { } k ? codes[.., j] - codes[.., k] : codes[.., j];
                Assert.True(TensorAssert.Same(d[.., j], expected), $"{layout.Arrangement}: column {j}");
            }
            var gate = layout.SignalGate(codes);
            for (int j = 0; j < layout.SignalColumns; j++)
            {
                var expected = layout.Arrangement == ColumnArrangement.Pairs ? (codes[.., j] + codes[.., layout.Subtracted(j)!.Value]) * 0.5 : codes[.., j];
                Assert.True(TensorAssert.Same(gate[.., j], expected), $"{layout.Arrangement}: gate of column {j}");
            }
        }
    }
}
