using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace Microsoft.ML.Decoupling.Analysis.Clustering;

/// <summary>Two-way k-means of gate vectors with ML.NET's KMeans trainer (k-means++ initialisation, one thread for reproducibility).</summary>
internal static class PathKMeans
{
    private const string FeaturesColumn = Transforms.MLNetColumnNames.Features;

    /// <summary>For each of the <paramref name="count"/> rows of the row-major matrix, its cluster (0 or 1).</summary>
    public static int[] SplitInTwo(float[] matrix, int count, int width, int seed)
    {
        var ml = new MLContext(seed);
        var definition = SchemaDefinition.Create(typeof(VectorRow));
        definition[nameof(VectorRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        var rows = Enumerable.Range(0, count).Select(i => new VectorRow { Features = matrix.AsSpan(i * width, width).ToArray() });
        var data = ml.Data.LoadFromEnumerable(rows, definition);
        var trainer = ml.Clustering.Trainers.KMeans(new KMeansTrainer.Options
        {
            FeatureColumnName = FeaturesColumn,
            NumberOfClusters = 2,
            InitializationAlgorithm = KMeansTrainer.InitializationAlgorithm.KMeansPlusPlus,
            NumberOfThreads = 1,
        });
        var model = trainer.Fit(data);
        var assigned = model.Transform(data).GetColumn<uint>(DefaultPredictedLabel).Select(k => (int)k - 1).ToArray();
        return assigned;
    }

    // ML.NET's clustering scorer writes its cluster ids to this column.
    private const string DefaultPredictedLabel = Transforms.MLNetColumnNames.PredictedLabel;

    private sealed class VectorRow
    {
        public float[] Features { get; set; } = [];
    }
}
