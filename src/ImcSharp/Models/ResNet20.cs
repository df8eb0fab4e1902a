using ImcSharp.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImcSharp.Models;

/// <summary>
/// ResNet-20 (He et al. 2016, CIFAR variant): 3x3 conv (16) then three stages of three basic
/// blocks (16, 32, 64 channels; stride 2 at the start of stages 2 and 3), global average pooling
/// and one fully connected layer. Shortcuts that change shape use 1x1 conv + BatchNorm.
/// 32x32 input gives 8x8 final maps, 28x28 gives 7x7.
/// </summary>
public sealed class ResNet20 : nn.Module<Tensor, Tensor>
{
    private nn.Module<Tensor, Tensor> stem;
    private readonly BatchNorm2d stemBn;
    private ModuleList<BasicBlock> blocks;
    private nn.Module<Tensor, Tensor> fc;

    public ResNet20(int inChannels, int classes) : base("ResNet20")
    {
        stem = new FloatConv2d(inChannels, 16, (3, 3), padding: (1, 1), hasBias: false);
        stemBn = nn.BatchNorm2d(16);
        blocks = new ModuleList<BasicBlock>();
        int c = 16;
        foreach (var width in new[] { 16, 32, 64 })
        {
            for (int b = 0; b < 3; b++)
            {
                int stride = (b == 0 && width != 16) ? 2 : 1;
                blocks.Add(new BasicBlock(c, width, stride));
                c = width;
            }
        }
        fc = nn.Linear(c, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = Steps.Then(x, x, v => nn.functional.relu(stemBn.call(stem.call(v))));
        foreach (var block in blocks) h = Steps.Then(h, x, block.call);
        return Steps.Then(h, x, v => fc.call(nn.functional.adaptive_avg_pool2d(v, 1).flatten(1)));
    }

    public sealed class BasicBlock : nn.Module<Tensor, Tensor>
    {
        private nn.Module<Tensor, Tensor> conv1, conv2;
        private readonly BatchNorm2d bn1, bn2;
        private nn.Module<Tensor, Tensor>? shortcut;
        private readonly BatchNorm2d? shortcutBn;

        public BasicBlock(int inC, int outC, int stride) : base("BasicBlock")
        {
            conv1 = new FloatConv2d(inC, outC, (3, 3), stride: (stride, stride), padding: (1, 1), hasBias: false);
            bn1 = nn.BatchNorm2d(outC);
            conv2 = new FloatConv2d(outC, outC, (3, 3), padding: (1, 1), hasBias: false);
            bn2 = nn.BatchNorm2d(outC);
            if (stride != 1 || inC != outC)
            {
                shortcut = new FloatConv2d(inC, outC, (1, 1), stride: (stride, stride), hasBias: false);
                shortcutBn = nn.BatchNorm2d(outC);
            }
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var y = nn.functional.relu(bn1.call(conv1.call(x)));
            y = bn2.call(conv2.call(y));
            var s = shortcut is null ? x : shortcutBn!.call(shortcut.call(x));
            return nn.functional.relu(y.add_(s));
        }
    }
}
