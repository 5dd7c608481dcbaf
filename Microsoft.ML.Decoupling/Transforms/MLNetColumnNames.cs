namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// Column names that ML.NET's own trainers and scorers read or write, whatever our options say (ML.NET keeps its
/// <c>DefaultColumnNames</c> internal): the one place this package spells them.
/// </summary>
internal static class MLNetColumnNames
{
    /// <summary>A scorer's raw or probability scores.</summary>
    public const string Score = "Score";

    /// <summary>A scorer's predicted label (a key), also a clustering scorer's cluster id.</summary>
    public const string PredictedLabel = "PredictedLabel";

    /// <summary>A calibrated binary classifier's probability.</summary>
    public const string Probability = "Probability";

    /// <summary>The default feature column of a trainer.</summary>
    public const string Features = "Features";
}
