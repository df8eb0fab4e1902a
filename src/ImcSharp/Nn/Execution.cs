namespace ImcSharp.Nn;

/// <summary>How an analog layer computes its matmul.</summary>
public enum Execution
{
    /// <summary>Plain float matmul (the digital baseline).</summary>
    Float,
    /// <summary>Quantized weights and inputs, exact integer matmul: what an ideal core must reproduce.</summary>
    QuantizedDigital,
    /// <summary>Through the programmed chip: cells, array physics, ADCs, shift-and-add.</summary>
    Analog,
}
