namespace Microsoft.ML.Decoupling.Analysis.Activity;

/// <summary>The role of a filter over a data set (paper §4.2).</summary>
public enum FilterState
{
    /// <summary>Open for every input.</summary>
    Energetic,

    /// <summary>Never open.</summary>
    Silent,

    /// <summary>Open for some inputs only.</summary>
    Dynamic,
}
