using ImcSharp.Bench;

// Usage: dotnet run -c Release --project bench/ImcSharp.Bench -- [float|analog|resnet20|resnet20-breakdown|chips|mlp-settings|adc|adc-kernels|adc-networks|aware|aware-breakdown|aware-layers|ir-drop|ir-drop-peers FILE ...] [--models lenet5,mlp]
// As the CLI: keep freed memory in the heap (the figures quoted in the README were measured so).
ImcSharp.NativeRuntime.TuneAllocator();
var suites = args.Where((a, i) => !a.StartsWith("--") && (i == 0 || (args[i - 1] != "--models" && args[i - 1] != "--hw" && args[i - 1] != "--images" && args[i - 1] != "ir-drop-peers"))).ToList();
if (suites.Count == 0) suites.Add("float");
var modelsArg = args.SkipWhile(a => a != "--models").Skip(1).FirstOrDefault();
var models = (modelsArg ?? "lenet5,mlp").Split(',');
Console.WriteLine($"ImcSharp benchmarks, torch threads {TorchSharp.torch.get_num_threads()}, {Environment.ProcessorCount} cores");
foreach (var suite in suites)
{
    switch (suite)
    {
        case "float":
            Harness.Print(FloatBaseline.Run(models));
            break;
        case "analog":
            Harness.Print(AnalogBench.Run(models));
            break;
        case "adc":
            Harness.Print(AdcBench.Run());
            break;
        case "adc-kernels":
            AdcKernels.Run();
            break;
        case "aware":
            foreach (var m in modelsArg is null ? new[] { "lenet5" } : models)
                Harness.Print(AwareBench.Run(args.SkipWhile(a => a != "--hw").Skip(1).FirstOrDefault() ?? "experiments/hw/current-rram-cco.json", m));
            break;
        case "resnet20":
            Harness.Print(AnalogBench.ResNet20(args.SkipWhile(a => a != "--hw").Skip(1).FirstOrDefault() is { } hwArg ? hwArg.Split(',')
                : new[] { "configs/compare/256-dac-6b.json", "experiments/hw/current-rram-cco-realistic.json" }));
            break;
        case "resnet20-breakdown":
            Harness.Print(AnalogBench.ResNet20Breakdown(args.SkipWhile(a => a != "--hw").Skip(1).FirstOrDefault()
                ?? "experiments/hw/current-rram-cco-realistic.json"));
            break;
        case "aware-breakdown":
            Harness.Print(AwareBench.Breakdown(args.SkipWhile(a => a != "--hw").Skip(1).FirstOrDefault() ?? "experiments/hw/current-rram-cco.json"));
            break;
        case "aware-layers":
            Harness.Print(AwareLayers.Run(args.SkipWhile(a => a != "--hw").Skip(1).FirstOrDefault() ?? "experiments/hw/current-rram-cco.json"));
            break;
        case "adc-networks":
            Harness.Print(AdcBench.Networks());
            break;
        case "chips":
            Harness.Print(ChipsBench.Run(modelsArg is null ? new[] { "lenet5" } : models,
                int.Parse(args.SkipWhile(a => a != "--images").Skip(1).FirstOrDefault() ?? "2000")));
            break;
        case "mlp-settings":
            Harness.Print(AnalogBench.MlpSettings());
            break;
        case "ir-drop-peers":
            IrDropBench.Peers(args.SkipWhile(a => a != "ir-drop-peers").Skip(1).FirstOrDefault()
                ?? throw new ArgumentException("ir-drop-peers FILE: the JSON of scripts/peers/crosssim-ir-drop.py"));
            break;
        case "ir-drop":
            IrDropBench.Run();
            Harness.Print(IrDropBench.Networks());
            break;
        default:
            Console.Error.WriteLine($"unknown suite '{suite}': expected float, analog, resnet20, resnet20-breakdown, chips, mlp-settings, adc, adc-kernels, adc-networks, aware, aware-breakdown, aware-layers, ir-drop or ir-drop-peers");
            return 2;
    }
}
return 0;
