using ImcSharp.Config;
using ImcSharp.Nn;

namespace ImcSharp.Cost;

/// <summary>
/// The digital operations between the crossbars (<see cref="DigitalOps"/>: attention's Q K^T and A V, softmax,
/// LayerNorm, GELU), priced on a digital unit beside the cores: placement "digital"
/// (<see cref="HardwareConfig.Attention"/>).
/// Energy at 45 nm (Horowitz, ISSCC 2014: 8-bit multiply 0.2 pJ, 8-bit add 0.03 pJ, fp16 multiply 1.1 pJ, fp16 add
/// 0.4 pJ; SRAM 10 pJ per 64-bit read), scaled to the node and supply like the rest of the model:
///   products between activations: 8-bit MACs at 0.2 + 0.1 pJ, as the layers kept digital;
///   a transcendental (exp, erf, 1/x, 1/sqrt x) as three fp16 fused multiply-adds (a piecewise quadratic):
///   3 (1.1 + 0.4) = 4.5 pJ;
///   softmax per element: subtract the row's max, exp, add to the row sum, multiply by 1/sum: 6.4 pJ, and one
///   reciprocal per row;
///   LayerNorm per element: sum, square and sum, subtract the mean, scale by 1/std, the affine: 4.9 pJ, and one
///   1/sqrt per row;
///   GELU per element: x / sqrt 2, erf, + 1, times x (the / 2 a shift): 7.1 pJ;
///   a recurrent step per hidden unit: LSTM 27.8 pJ (4 gate sums, 3 sigmoids and 2 tanh, the cell and output
///   products), GRU 18.8 pJ (3 gate sums, 2 sigmoids and a tanh, the reset product and the interpolation);
///   buffers: every operand read and every result written once (cost.buffer_bits, SRAM).
/// Time: 256 MACs and 64 element-wise lanes per ns; the operations share the unit, so they add up to one pipeline
/// stage. Area (28 nm, as the adders of the core model: 1.5 um^2 per full-adder bit): the MAC array (256 8 x 8
/// multipliers with 24-bit accumulators) when there are products between activations, and 64 fp16 lanes (an 11 x 11
/// multiplier and a 16-bit adder with alignment, about 220 full-adder bits each) when there are element-wise
/// operations.
/// </summary>
public static class DigitalOpCost
{
    const double MacEnergy45 = 0.2e-12 + 0.1e-12;
    const double Fp16Mul45 = 1.1e-12, Fp16Add45 = 0.4e-12;
    const double Transcendental45 = 3 * (Fp16Mul45 + Fp16Add45);
    const double SramEnergyPerBit45 = 10e-12 / 64;
    const double MacsPerSecond = 256e9, ElementsPerSecond = 64e9;
    const double AdderAreaPerBit28 = 1.5e-12;   // m^2
    const int MacUnits = 256, Lanes = 64;
    const double MacBits = 8 * 8 + 24, LaneBits = 11 * 11 + 100;

    /// <summary>
    /// Energy per element (J, 45 nm) of an element-wise operation, per row, and the values it reads and writes per
    /// element.
    /// </summary>
    public static (double PerElement, double PerRow, int Values) Energy45(DigitalOpKind kind) => kind switch
    {
        DigitalOpKind.Softmax => (Fp16Add45 + Transcendental45 + Fp16Add45 + Fp16Mul45, Transcendental45, 2),
        DigitalOpKind.LayerNorm => (Fp16Add45 + Fp16Mul45 + Fp16Add45 + Fp16Add45 + Fp16Mul45 + Fp16Mul45 + Fp16Add45,
            Transcendental45, 2),
        DigitalOpKind.Gelu => (Fp16Mul45 + Transcendental45 + Fp16Add45 + Fp16Mul45, 0, 2),
        // Per hidden unit: 4 gate sums, 5 transcendentals, f c + i g (2 multiplies, an add), o tanh(c) (a multiply);
        // reads 8 gate terms and c, writes c and h.
        DigitalOpKind.LstmCell => (4 * Fp16Add45 + 5 * Transcendental45 + 3 * Fp16Mul45 + Fp16Add45, 0, 11),
        // Per hidden unit: 3 gate sums, 3 transcendentals, r times the candidate's recurrent term, 1 - z, (1 - z) n +
        // z h (2 multiplies, an add); reads 6 gate terms and h, writes h.
        DigitalOpKind.GruCell => (3 * Fp16Add45 + 3 * Transcendental45 + 3 * Fp16Mul45 + 2 * Fp16Add45, 0, 8),
        _ => (MacEnergy45, 0, 0),
    };

    /// <summary>Every operation's cost per inference, and the digital unit's area on the first row.</summary>
    public static List<LayerCost> Price(IReadOnlyList<LayerShape> ops, CostConfig cost)
    {
        double d45 = TechnologyScaling.Energy(cost.NodeNm, cost.Supply, 45);
        double s28 = TechnologyScaling.Area(cost.NodeNm, 28);
        var rows = new List<LayerCost>();
        foreach (var op in ops)
        {
            var kind = op.Op!.Value;
            bool matmul = kind == DigitalOpKind.MatMul;
            long rowsPerInference = op.VectorsPerSample;
            long work = matmul ? rowsPerInference * op.Inputs * op.Outputs : rowsPerInference * op.Inputs;
            var (perElement, perRow, perValue) = Energy45(kind);
            // Operands read and results written once: A and B (B, the other activation, once per product) and the
            // output for a product; input and output for an element-wise operation.
            long values = matmul ? rowsPerInference * op.Inputs + op.Inputs * op.Outputs + rowsPerInference * op.Outputs
                : perValue * work;
            double energy = (work * perElement + rowsPerInference * perRow
                + values * cost.BufferBits * SramEnergyPerBit45) * d45;
            double time = work / (matmul ? MacsPerSecond : ElementsPerSecond);
            rows.Add(new LayerCost(op.Name, true, op.Inputs, op.Outputs, rowsPerInference, matmul ? work : 0, 0, 0, 0,
                0, 0, 0, time, EnergyBreakdown.Zero with { DigitalOps = energy }, AreaBreakdown.Zero,
                Op: kind.ToString().ToLowerInvariant()));
        }
        // One digital unit for the network: its MAC array and its element-wise lanes, as far as the network uses them.
        double area = ((ops.Any(o => o.Op == DigitalOpKind.MatMul) ? MacUnits * MacBits : 0)
            + (ops.Any(o => o.Op != DigitalOpKind.MatMul) ? Lanes * LaneBits : 0)) * AdderAreaPerBit28 * s28 * 1e6;
        if (rows.Count > 0) rows[0] = rows[0] with { Area = AreaBreakdown.Zero with { DigitalOps = area } };
        return rows;
    }
}
