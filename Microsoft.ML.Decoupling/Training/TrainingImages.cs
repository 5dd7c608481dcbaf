using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>
/// The labelled training images as the trainer reads them: one image at a time by index, so that the store can be an
/// array in memory (<see cref="InMemoryTrainingImages"/>) or a temporary file read batch by batch
/// (<see cref="DiskCachedTrainingImages"/>). Both give the trainer the same values in the same order, so a seed gives
/// the same training whichever store holds the data.
/// </summary>
internal abstract class TrainingImages : IDisposable
{
    /// <summary>Number of images.</summary>
    public abstract int Count { get; }

    /// <summary>Shape of every image (C·H·W values, channel-planar).</summary>
    public abstract ImageShape Shape { get; }

    /// <summary>
    /// The fingerprint of <see cref="TrainingCheckpoint.HashData"/> (SHA-256 over all pixel bytes, then all label bytes):
    /// equal for equal data in either store, so a checkpoint of one store resumes a fit on the other.
    /// </summary>
    public abstract string DataHash { get; }

    /// <summary>Copies image <paramref name="index"/> (C·H·W values) into <paramref name="target"/>.</summary>
    public abstract void ReadImage(int index, Span<float> target);

    /// <summary>The 0-based class of image <paramref name="index"/>.</summary>
    public abstract int Label(int index);

    /// <inheritdoc/>
    public virtual void Dispose()
    {
    }
}
