using ImcSharp.Config;
using ImcSharp.Crossbar;
using TorchSharp;
using static TorchSharp.torch;

namespace ImcSharp.Tests.Crossbar;

/// <summary>
/// The IR-drop solvers: nodal analysis against networks solved by hand, conjugate gradients against
/// nodal analysis, and the ir-drop stage against the first-order one where the wires vanish.
/// </summary>
public class IrDropTests
{
    static readonly IrDropNetwork Wires = new(WordLine: 2.5, BitLine: 4, Driver: 40, Sense: 100);

    [Fact]
    public void OneCellIsASeriesCircuit()
    {
        double g = 2e-5;
        var m = IrDropExact.Transfer(new[,] { { g } }, Wires);
        double expected = 1 / (Wires.Driver + Wires.WordLine + 1 / g + Wires.BitLine + Wires.Sense);
        Assert.Equal(expected, m[0, 0], 1e-15);
    }

    /// <summary>One row, two columns: the driver's resistance, then two branches in parallel.</summary>
    [Fact]
    public void OneRowOfTwoCellsSplitsTheDriversCurrent()
    {
        double g0 = 3e-5, g1 = 1e-5, v = 1;
        var m = IrDropExact.Transfer(new[,] { { g0, g1 } }, Wires);
        double feed = Wires.Driver + Wires.WordLine, down = Wires.BitLine + Wires.Sense;
        double z0 = 1 / g0 + down, z1 = Wires.WordLine + 1 / g1 + down;
        double total = v / (feed + z0 * z1 / (z0 + z1)), node = v - feed * total;
        Assert.Equal(node / z0, m[0, 0], 1e-15);
        Assert.Equal(node / z1, m[1, 0], 1e-15);
    }

    /// <summary>
    /// Two rows, one column: each row a series branch z_i = R_d + r_w + 1/G_i into bit-line node i;
    /// Kirchhoff at the two nodes, solved by Cramer's rule, for 1 V on each row in turn.
    /// </summary>
    [Fact]
    public void TwoRowsOnOneColumnShareItsBitLine()
    {
        double g0 = 4e-5, g1 = 2e-5;
        var m = IrDropExact.Transfer(new[,] { { g0 }, { g1 } }, Wires);
        double z0 = Wires.Driver + Wires.WordLine + 1 / g0, z1 = Wires.Driver + Wires.WordLine + 1 / g1;
        double gb = 1 / Wires.BitLine, gs = 1 / (Wires.BitLine + Wires.Sense);
        // (1/z0 + gb) b0 - gb b1 = v0/z0;  -gb b0 + (1/z1 + gb + gs) b1 = v1/z1
        double a11 = 1 / z0 + gb, a12 = -gb, a22 = 1 / z1 + gb + gs, det = a11 * a22 - a12 * a12;
        foreach (var (row, v0, v1) in new[] { (0, 1.0, 0.0), (1, 0.0, 1.0) })
        {
            double r0 = v0 / z0, r1 = v1 / z1;
            double b1 = (a11 * r1 - a12 * r0) / det;
            Assert.Equal(b1 * gs, m[0, row], 1e-15);
        }
    }

    /// <summary>
    /// Column currents for 1 V on row <paramref name="driven"/>, by Kirchhoff's current law written out
    /// node by node (word-line nodes first, then bit-line nodes) and solved densely with partial pivoting:
    /// an independent form of the nodal analysis, for networks too large to solve by hand.
    /// </summary>
    static double[] DenseNodal(double[,] g, IrDropNetwork n, int driven)
    {
        int R = g.GetLength(0), C = g.GetLength(1), size = 2 * R * C;
        int W(int i, int j) => i * C + j;
        int B(int i, int j) => R * C + i * C + j;
        var y = new double[size, size + 1];
        void Branch(int a, int b, double conductance)
        {
            y[a, a] += conductance; y[b, b] += conductance; y[a, b] -= conductance; y[b, a] -= conductance;
        }
        for (int i = 0; i < R; i++)
            for (int j = 0; j < C; j++)
            {
                Branch(W(i, j), B(i, j), g[i, j]);
                if (j + 1 < C) Branch(W(i, j), W(i, j + 1), 1 / n.WordLine);
                if (i + 1 < R) Branch(B(i, j), B(i + 1, j), 1 / n.BitLine);
            }
        for (int i = 0; i < R; i++)
        {
            double source = 1 / (n.Driver + n.WordLine);
            y[W(i, 0), W(i, 0)] += source;
            if (i == driven) y[W(i, 0), size] += source;                 // 1 V behind the driver
        }
        for (int j = 0; j < C; j++) y[B(R - 1, j), B(R - 1, j)] += 1 / (n.BitLine + n.Sense);
        for (int k = 0; k < size; k++)
        {
            int pivot = Enumerable.Range(k, size - k).MaxBy(r => Math.Abs(y[r, k]));
            for (int c = 0; c <= size; c++) (y[k, c], y[pivot, c]) = (y[pivot, c], y[k, c]);
            for (int r = k + 1; r < size; r++)
            {
                double f = y[r, k] / y[k, k];
                for (int c = k; c <= size; c++) y[r, c] -= f * y[k, c];
            }
        }
        var v = new double[size];
        for (int k = size - 1; k >= 0; k--)
        {
            double sum = y[k, size];
            for (int c = k + 1; c < size; c++) sum -= y[k, c] * v[c];
            v[k] = sum / y[k, k];
        }
        return Enumerable.Range(0, C).Select(j => v[B(R - 1, j)] / (n.BitLine + n.Sense)).ToArray();
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 3)]
    public void BandedNodalAnalysisMatchesADenseSolveOfTheSameLaws(int rows, int columns)
    {
        var g = RandomConductances(rows, columns, 17 * rows + columns);
        var banded = IrDropExact.Transfer(g, Wires);
        for (int driven = 0; driven < rows; driven++)
        {
            var dense = DenseNodal(g, Wires, driven);
            for (int j = 0; j < columns; j++)
                Assert.Equal(dense[j], banded[j, driven], dense[j] * 1e-12);
        }
    }

    static double[,] RandomConductances(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var g = new double[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) g[i, j] = 1e-6 + random.NextDouble() * 4.9e-5;
        return g;
    }

    [Theory]
    [InlineData(8, 8)]
    [InlineData(32, 16)]
    [InlineData(16, 48)]
    public void ConjugateGradientsMatchNodalAnalysis(int rows, int columns)
    {
        var g = RandomConductances(rows, columns, rows * 100 + columns);
        var exact = IrDropExact.Transfer(g, Wires);
        var (fast, steps) = IrDropCircuit.Transfer(tensor(g.Cast<double>().ToArray(), new long[] { 1, rows, columns },
            ScalarType.Float64), Wires);
        var reference = tensor(exact.Cast<double>().ToArray(), new long[] { 1, columns, rows }, ScalarType.Float64);
        double error = ((fast - reference).abs() / reference.abs()).max().item<double>();
        Assert.True(error < 1e-8, $"largest relative error {error:E2} after {steps} steps");
        Assert.True(steps < 100, $"{steps} steps");
        // The drop is real: every current is below what the cell alone would pass.
        var ideal = tensor(g.Cast<double>().ToArray(), new long[] { rows, columns }, ScalarType.Float64).t();
        Assert.True(fast[0].lt(ideal).all().item<bool>());
    }

    [Fact]
    public void WithoutWiresTheTransferIsTheConductances()
    {
        var g = tensor(RandomConductances(6, 5, 3).Cast<double>().ToArray(), new long[] { 1, 6, 5 }, ScalarType.Float64);
        var (m, steps) = IrDropCircuit.Transfer(g, new IrDropNetwork(0, 0, 0, 0));
        Assert.Equal(0, steps);
        Assert.True(m[0].eq(g[0].t()).all().item<bool>());
    }

    /// <summary>A cell without input still conducts: 1 V on row 0 alone reaches column 0 less when row 1 conducts more.</summary>
    [Fact]
    public void SneakCurrentsThroughRowsWithoutInputLowerTheColumnCurrent()
    {
        var weak = IrDropExact.Transfer(new[,] { { 3e-5, 3e-5 }, { 1e-6, 1e-6 } }, Wires);
        var strong = IrDropExact.Transfer(new[,] { { 3e-5, 3e-5 }, { 5e-5, 5e-5 } }, Wires);
        Assert.True(strong[0, 0] < weak[0, 0], $"{strong[0, 0]} vs {weak[0, 0]}");
    }

    static LayerHardware Hardware(string solver, double wire, WeightMapping mapping, Subtraction subtract) => new LayerHardware
    {
        Core = new CoreConfig
        {
            Rows = 16, Columns = 8, WeightBits = 4, BitsPerCell = 2, InputBits = 4, Mapping = mapping,
            Subtract = subtract,
        },
        Cell = new CellConfig { Kind = "rram", ProgrammingSigma = 0.02, GMin = 1e-6, GMax = 5e-5 },
        Array = new ArrayConfig { Solver = solver, WireResistance = wire },
        Adc = new AdcConfig { Bits = 12, Range = new AdcRange { Mode = AdcRangeMode.Exact } },
    }.Validated("ir-drop test design");

    /// <summary>
    /// With no wire resistance the solved arrays pass each cell's current as it is: the ir-drop stage's
    /// partial sums are the first-order stage's (to float32 rounding: whole currents subtract, not levels),
    /// for pairs and for offset references, with analog or digital subtraction.
    /// </summary>
    [Theory]
    [InlineData(WeightMapping.Differential, Subtraction.Analog)]
    [InlineData(WeightMapping.Differential, Subtraction.Digital)]
    [InlineData(WeightMapping.Offset, Subtraction.Digital)]
    public void WithoutWiresTheIrDropStageIsTheFirstOrderOne(WeightMapping mapping, Subtraction subtract)
    {
        using var scope = NewDisposeScope();
        var (wq, ws) = WeightSlicing.Quantize(randn(new long[] { 11, 40 }, generator: new Generator(4)), 4);
        var x = randint(0, 16, new long[] { 9, 40 }, generator: new Generator(5)).to_type(ScalarType.Float32);
        using var first = new ProgrammedLayer(wq, ws, Hardware(ArraySolver.FirstOrder, 0, mapping, subtract), 7);
        using var solved = new ProgrammedLayer(wq, ws, Hardware(ArraySolver.IrDrop, 0, mapping, subtract), 7);
        var a = AnalogMvm.PartialSums(first, x, signedInputs: false);
        var b = AnalogMvm.PartialSums(solved, x, signedInputs: false);
        Assert.True(allclose(a, b, rtol: 1e-5, atol: 1e-3), $"largest difference {(a - b).abs().max().item<float>()}");
    }

    /// <summary>With wires, the first-order stage's average-drop gain and the solved arrays roughly agree on a small array.</summary>
    [Fact]
    public void TheFirstOrderGainIsCloseToTheSolvedDropOnASmallArray()
    {
        using var scope = NewDisposeScope();
        var (wq, ws) = WeightSlicing.Quantize(randn(new long[] { 4, 16 }, generator: new Generator(8)), 4);
        var x = full(new long[] { 1, 16 }, 15f);
        var hw = (string s) => Hardware(s, 2, WeightMapping.Differential, Subtraction.Digital);
        using var first = new ProgrammedLayer(wq, ws, hw(ArraySolver.FirstOrder), 7);
        using var exact = new ProgrammedLayer(wq, ws, hw(ArraySolver.IrDropExact), 7);
        using var fast = new ProgrammedLayer(wq, ws, hw(ArraySolver.IrDrop), 7);
        var (pf, pe, pc) = (AnalogMvm.PartialSums(first, x, false), AnalogMvm.PartialSums(exact, x, false),
            AnalogMvm.PartialSums(fast, x, false));
        Assert.True(allclose(pc, pe, rtol: 1e-5, atol: 1e-3), "conjugate gradients differ from nodal analysis");
        double relative = ((pf - pe).abs() / pe.abs().clamp_min(1)).max().item<float>();
        Assert.True(relative < 0.05, $"first-order against solved: {relative:P2}");
    }

    [Fact]
    public void TheSolversRefuseChargeModeAndResistancesOthersDoNotRead()
    {
        var charge = new ArrayConfig { Mode = ArrayMode.Charge, Solver = ArraySolver.IrDrop };
        var e = new ConfigErrors();
        charge.Validate(e, "array.", new CellConfig { Kind = "sram" });
        Assert.Contains(e.Errors, m => m.Contains("current-mode arrays only"));
        var stray = new ArrayConfig { DriverResistance = 50 };
        e = new ConfigErrors();
        stray.Validate(e, "array.", new CellConfig { Kind = "rram" });
        Assert.Contains(e.Errors, m => m.Contains("array.driver_resistance = 50: is read only by the ir-drop solvers"));
        var exact = new ArrayConfig { Solver = ArraySolver.IrDropExact };
        e = new ConfigErrors();
        exact.Validate(e, "array.", new CellConfig { Kind = "rram" });
        Assert.Contains(e.Errors, m => m.Contains("needs wire_resistance"));
    }
}
