using System.Diagnostics;
using ImcSharp.Config;
using ImcSharp.Crossbar;
using ImcSharp.Data;
using ImcSharp.Models;
using ImcSharp.Nn;
using static TorchSharp.torch;

namespace ImcSharp.Bench;

/// <summary>
/// The IR-drop solvers: error of conjugate gradients against nodal analysis and of the first-order
/// average-drop gain against both, then the time to solve one array's transfer matrix by size.
/// Conductances uniform in [1, 50] uS (RRAM's default window), one seed per size.
/// </summary>
static class IrDropBench
{
    static double[,] Conductances(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var g = new double[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) g[i, j] = 1e-6 + random.NextDouble() * 49e-6;
        return g;
    }

    static Tensor AsTensor(double[,] a) =>
        tensor(a.Cast<double>().ToArray(), new long[] { a.GetLength(0), a.GetLength(1) }, ScalarType.Float64);

    public static void Run()
    {
        Console.WriteLine("IR drop, full-scale input (1 V on every row); driver and sense resistance 0");
        Console.WriteLine($"{"array",-9} {"wire ohm",8} {"CG vs nodal",12} {"CG steps",9} {"1st-order vs nodal",19} {"drop (mean)",12}");
        foreach (int n in new[] { 16, 32, 64 })
            foreach (double r in new[] { 1.0, 2.5, 5.0 })
            {
                using var scope = NewDisposeScope();
                var g = Conductances(n, n, n);
                var network = new IrDropNetwork(r, r, 0, 0);
                var exact = AsTensor(IrDropExact.Transfer(g, network));                     // [C, R]
                var (fast, steps) = IrDropCircuit.Transfer(AsTensor(g).unsqueeze(0), network);
                double cgError = ((fast[0] - exact).abs() / exact.abs()).max().item<double>();
                var gt = AsTensor(g);
                var cell = gt.sum(0, keepdim: false);                                                    // no-drop column currents
                var solved = exact.sum(1);
                var firstOrder = cell / (cell * (r * n / 2.0) + 1);
                double foError = ((firstOrder - solved).abs() / solved).max().item<double>();
                double drop = (1 - solved / cell).mean().item<double>();
                Console.WriteLine($"{n + "x" + n,-9} {r,8:G3} {cgError,12:E1} {steps,9} {foError,19:P2} {drop,12:P2}");
            }
        Console.WriteLine();
        Console.WriteLine("time to solve one array's transfer matrix (median of 3; wire 2.5 ohm)");
        Console.WriteLine($"{"array",-9} {"CG ms",10} {"CG steps",9} {"nodal ms",10}");
        foreach (int n in new[] { 32, 64, 128, 256, 512 })
        {
            var g = Conductances(n, n, n + 1);
            var network = new IrDropNetwork(2.5, 2.5, 0, 0);
            var gt = AsTensor(g).unsqueeze(0);
            int steps = 0;
            var cg = Median(3, () => { using var s = NewDisposeScope(); steps = IrDropCircuit.Transfer(gt, network).Steps; });
            string nodal = n <= 64 ? $"{Median(3, () => IrDropExact.Transfer(g, network)):F1}" : "-";
            Console.WriteLine($"{n + "x" + n,-9} {cg,10:F1} {steps,9} {nodal,10}");
        }
    }

    /// <summary>
    /// ImcSharp against CrossSim on the same arrays, conductances and inputs: the file written by
    /// scripts/peers/crosssim-ir-drop.py (CrossSim's parasitic solver at its default and a tight convergence).
    /// Per case, the largest relative column-current difference of ImcSharp's nodal solve (up to 64 rows) and
    /// conjugate gradients against CrossSim's tight and default solutions, and the no-wire current's error.
    /// </summary>
    public static void Peers(string file)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
        Console.WriteLine($"ImcSharp ir-drop against {doc.RootElement.GetProperty("solver").GetString()} " +
            "(max relative column-current difference over both inputs)");
        Console.WriteLine($"{"array",-9} {"wire ohm",8} {"sense ohm",9} {"nodal vs CS tight",18} " +
            $"{"CG vs CS tight",15} {"CG vs CS default",17} {"no wires vs CS",15}");
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            int n = c.GetProperty("rows").GetInt32();
            double r = c.GetProperty("wire_ohm").GetDouble(), sense = c.GetProperty("sense_ohm").GetDouble();
            var rows = c.GetProperty("g_siemens").EnumerateArray().Select(row =>
                row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            var g = new double[n, n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) g[i, j] = rows[i][j];
            var network = new IrDropNetwork(r, r, 0, sense);
            var nodal = n <= 64 ? AsTensor(IrDropExact.Transfer(g, network)) : null;      // [C, R]
            var cg = IrDropCircuit.Transfer(AsTensor(g).unsqueeze(0), network).Transfer[0];
            double nodalErr = 0, cgErr = 0, cgDefault = 0, noWires = 0;
            foreach (var input in c.GetProperty("inputs").EnumerateArray())
            {
                Tensor Read(System.Text.Json.JsonElement e) =>
                    tensor(e.EnumerateArray().Select(v => v.GetDouble()).ToArray(), ScalarType.Float64);
                var v = Read(input.GetProperty("volts"));
                var tight = Read(input.GetProperty("tight").GetProperty("amperes"));
                var loose = Read(input.GetProperty("default").GetProperty("amperes"));
                double Err(Tensor a, Tensor b) => ((a - b).abs() / b.abs()).max().item<double>();
                if (nodal is not null) nodalErr = Math.Max(nodalErr, Err(nodal.matmul(v), tight));
                cgErr = Math.Max(cgErr, Err(cg.matmul(v), tight));
                cgDefault = Math.Max(cgDefault, Err(cg.matmul(v), loose));
                noWires = Math.Max(noWires, Err(AsTensor(g).t().matmul(v), tight));
            }
            string nodalText = nodal is null ? "-" : $"{nodalErr:E1}";
            Console.WriteLine($"{n + "x" + n,-9} {r,8:G3} {sense,9:G3} {nodalText,18} {cgErr,15:E1} " +
                $"{cgDefault,17:E1} {noWires,15:P2}");
        }
    }

    /// <summary>
    /// Programming and forward time of whole networks, first-order against ir-drop, on current-mode RRAM
    /// arrays (8-bit DAC inputs, 8-bit weights on 2-bit cells, differential pairs, wire 1 ohm).
    /// </summary>
    public static List<Measurement> Networks()
    {
        var results = new List<Measurement>();
        using var test = DatasetCatalog.Load("fashion-mnist", null, Split.Test, limit: 500);
        var norm = test.ComputeNormalization();
        using var x = norm.Apply(test.Images.narrow(0, 0, 500));
        foreach (var name in new[] { "lenet5", "resnet20" })
        {
            manual_seed(1);
            using var model = new ModelSpec(name, 1, 28, 28, 10).Build();
            model.eval();
            foreach (int rows in new[] { 64, 128, 256 })
                foreach (var solver in new[] { ArraySolver.FirstOrder, ArraySolver.IrDrop })
                {
                    var hw = new HardwareConfig
                    {
                        Name = $"{rows} rows, {solver}",
                        Core = new CoreConfig
                        {
                            Rows = rows, Columns = rows, Mapping = WeightMapping.Differential, WeightBits = 8,
                            BitsPerCell = 2, InputBits = 8, InputMode = InputMode.Dac,
                        },
                        Cell = new CellConfig { Kind = "rram" },
                        Array = new ArrayConfig { Solver = solver, WireResistance = 1 },
                        Adc = new AdcConfig { Bits = 8 },
                    };
                    AnalogConversion.Convert(model, hw);
                    AnalogConversion.CalibrateInputs(model, x);
                    var program = Harness.Time($"{name} program: {hw.Name}", () => AnalogConversion.Program(model, 0),
                        1, "chips/s", warmup: 0, repeats: 1);
                    results.Add(program);
                    results.Add(Harness.Time($"{name} forward: {hw.Name}", () => AnalogBench.Infer(model, x, 100), 500,
                        "images/s", warmup: 1, repeats: 3));
                    AnalogBench.Reset(model);
                }
        }
        return results;
    }

    static double Median(int runs, Action run)
    {
        var times = new List<double>();
        for (int k = 0; k < runs; k++)
        {
            var sw = Stopwatch.StartNew();
            run();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[runs / 2];
    }
}
