namespace Microsoft.ML.Decoupling.Training;

/// <summary>A quantity of a training step that the trainer requires to be finite (see <see cref="TrainingDivergedException"/>).</summary>
internal enum TrainingTerm
{
    /// <summary>The cross-entropy loss Lce.</summary>
    CrossEntropy,

    /// <summary>The mutual-information loss Lmi (before its weight λm).</summary>
    MutualInformation,

    /// <summary>The KL loss Lkl (before its weight λk).</summary>
    KullbackLeibler,

    /// <summary>The sparsity loss Ls (before its weight λs).</summary>
    Sparsity,

    /// <summary>The total loss L = Lce + λm·Lmi + λk·Lkl + λs·Ls.</summary>
    Total,

    /// <summary>The global L2 norm of the gradients (computed only when gradient clipping is on).</summary>
    GradientNorm,

    /// <summary>The network's parameters after the SGD update.</summary>
    Weights,
}
