using ImcSharp.Config;

namespace ImcSharp.Tests.Config;

public class HardwareConfigTests
{
    [Theory]
    [InlineData("ideal-exact.json")]
    [InlineData("puma-reference.json")]
    [InlineData("charge-sram.json")]
    [InlineData("sram-current.json")]
    public void ShippedConfigsLoadAndValidate(string file)
    {
        var cfg = HardwareConfig.Load(Repo.Path("configs", file));
        Assert.False(string.IsNullOrEmpty(cfg.Name));
        cfg.For("any-layer");
    }

    [Fact]
    public void PumaReferenceIsWhatTheIssueSpecifies()
    {
        var c = HardwareConfig.Load(Repo.Path("configs", "puma-reference.json"));
        Assert.Equal((64, 64, 8, 8, 1, InputMode.BitSerial, 7, ArrayMode.Current, CellKind.Rram),
            (c.Core.Rows, c.Core.Columns, c.Core.WeightBits, c.Core.InputBits, c.Core.BitsPerCell, c.Core.InputMode, c.Adc.Bits, c.Array.Mode, c.Cell.Kind));
    }

    [Theory]
    [InlineData("""{"core": {"weight_bits": 7, "bits_per_cell": 2}}""", "core.weight_bits")]
    [InlineData("""{"core": {"rows": 0}}""", "core.rows")]
    [InlineData("""{"adc": {"bits": 0}}""", "adc.bits")]
    [InlineData("""{"adc": {"bits": 17}}""", "adc.bits")]
    [InlineData("""{"cell": {"kind": "rram", "programming_sigma": -0.1}}""", "cell.programming_sigma")]
    [InlineData("""{"core": {"input_mode": "pwm"}}""", "core.input_mode")]
    [InlineData("""{"array": {"mode": "optical"}}""", "array.mode")]
    [InlineData("""{"core": {"row": 64}}""", "row")]
    [InlineData("""{"core": {"input_bits": 8, "input_slice_bits": 3}}""", "core.input_slice_bits")]
    [InlineData("""{"cell": {"kind": "sram"}, "core": {"bits_per_cell": 2}}""", "core.bits_per_cell")]
    [InlineData("""{"layers": {"fc1": {"adc": {"bits": 20}}}}""", "layers.fc1")]
    public void BadConfigsNameTheFieldAndTheAllowedRange(string json, string field)
    {
        var e = Assert.Throws<ImcInputException>(() => HardwareConfig.Parse(json, "bad.json"));
        Assert.Contains("bad.json", e.Message);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void LayerOverridesMergeOverDefaults()
    {
        var cfg = HardwareConfig.Parse("""{"adc": {"bits": 7, "range": {"mode": "auto", "fraction": 0.5}}, "layers": {"fc1": {"adc": {"bits": 5}}}}""");
        Assert.Equal(5, cfg.For("fc1").Adc.Bits);
        Assert.Equal(0.5, cfg.For("fc1").Adc.Range.Fraction);
        Assert.Equal(7, cfg.For("fc2").Adc.Bits);
    }

    /// <summary>
    /// A layer that names a range mode takes that range whole: defaults with an absolute range
    /// (min, max) and a layer calibrated give that layer a calibrated range without min and max
    /// (which a calibrated range refuses); another layer keeps the absolute range.
    /// </summary>
    [Fact]
    public void ALayerRangeWithAModeReplacesTheDefaultRange()
    {
        var cfg = HardwareConfig.Parse("""
            {"core": {"subtract": "digital"}, "adc": {"bits": 7, "range": {"mode": "absolute", "min": 0, "max": 1e-5}},
             "layers": {"fc1": {"adc": {"range": {"mode": "calibrated", "method": "mse"}}}}}
            """);
        var fc1 = cfg.For("fc1").Adc.Range;
        Assert.Equal(AdcRangeMode.Calibrated, fc1.Mode);
        Assert.Null(fc1.Min);
        Assert.Equal(RangeMethod.Mse, fc1.Method);
        Assert.Equal(AdcRangeMode.Absolute, cfg.For("fc2").Adc.Range.Mode);
        Assert.Equal(1e-5, cfg.For("fc2").Adc.Range.Max);
    }

    /// <summary>
    /// A population design's files live in the population kind's record, are written under their flat keys as before
    /// (so written designs and fingerprints read the same), and resolve against the folder of the config naming them.
    /// </summary>
    [Fact]
    public void PopulationFilesAreTheKindsRecordWrittenUnderTheirFlatKeys()
    {
        var dir = Directory.CreateTempSubdirectory("imc-pop-files").FullName;
        var path = Path.Combine(dir, "hw.json");
        File.WriteAllText(path, """
            { "core": { "subtract": "digital" },
              "adc": { "kind": "population", "bits": 7, "population": "corners.json", "local_population": "pool.json" } }
            """);
        var hw = HardwareConfig.Load(path);
        var files = PopulationFiles.Of(hw.Adc)!;
        Assert.Equal(Path.Combine(dir, "corners.json"), files.File);
        Assert.Equal(Path.Combine(dir, "pool.json"), files.Local);
        var written = System.Text.Json.Nodes.JsonNode.Parse(ImcSharp.IO.Json.Serialize(hw.Adc))!.AsObject();
        Assert.Equal(files.File, (string?)written["population"]);
        Assert.Equal(files.Local, (string?)written["local_population"]);
        Assert.Equal(hw.Adc, System.Text.Json.JsonSerializer.Deserialize<AdcConfig>(written.ToJsonString(), ImcSharp.IO.Json.Strict));
        // Another kind writes "population": null, as before, and reads it back as no files.
        var sar = new AdcConfig { Kind = "sar" };
        var sarJson = ImcSharp.IO.Json.Serialize(sar);
        Assert.Contains("\"population\": null", sarJson);
        Assert.Null(PopulationFiles.Of(System.Text.Json.JsonSerializer.Deserialize<AdcConfig>(sarJson, ImcSharp.IO.Json.Strict)!));
    }
}
