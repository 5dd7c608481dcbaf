namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>Default hyper-parameters, in one place; they feed both the simple catalog overload and the estimator options.</summary>
internal static class DecoupleNetworkDefaults
{
    // The VGG-style network of VggLayout.Default, sized for 28×28 and 32×32 inputs.
    public const string Architecture = "vgg";
    public const int ImageChannels = 1;
    public const int Epochs = 10;
    public const int BatchSize = 128;
    public const int DeviationCalibrationImages = 5000;

    /// <summary>The most training pixels kept in memory, in megabytes, before the disk cache takes over.</summary>
    public const int TrainingDataInMemoryLimitMegabytes = 2048;

    // Paper §4 (CIFAR): SGD, momentum 0.9, lr 0.1 divided by 10 at 50% and 75% of the epochs.
    public const double LearningRate = 0.1;
    public const double Momentum = 0.9;

    // Authors' release: weight decay 1e-4 on every parameter.
    public const double WeightDecay = 1e-4;

    // Paper Table 5, VGGNet on CIFAR-10: λm = 0.04, λk = 1, λs = 2e-4, R = 0.
    public const double MutualInformationWeight = 0.04;
    public const double KullbackLeiblerWeight = 1.0;
    public const double SparsityWeight = 2e-4;
    public const double TargetRatio = 0.0;

    // Paper §3.1: γ = 4.
    public const int GateReduction = 4;
}
