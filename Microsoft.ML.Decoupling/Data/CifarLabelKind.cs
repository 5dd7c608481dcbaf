namespace Microsoft.ML.Decoupling.Data;

/// <summary>Which of the two CIFAR-100 labels becomes the class of an image.</summary>
internal enum CifarLabelKind
{
    /// <summary>The fine label: one of 100 classes (the second label byte of a record). The only kind CIFAR-10 has.</summary>
    Fine,

    /// <summary>The coarse label: one of 20 superclasses (the first label byte of a CIFAR-100 record).</summary>
    Coarse,
}
