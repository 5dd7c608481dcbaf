using Microsoft.ML.Data;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// Clean images and their adversarial copies with what the network made of them: the data adversarial detectors are
/// trained and tested on. <see cref="ToDataView"/> gives ML.NET the columns Image, Path, GateLogits, Responses, Score,
/// IsAdversarial, AttackSucceeded, Label, TargetLabel and PairId, and PathDeviation when the set was built with
/// <see cref="DetectionDataOptions.DeviationCalibration"/>.
/// </summary>
public sealed class DetectionSet
{
    internal DetectionSet(string attack, IReadOnlyList<string> classNames, int imageSize, int pathLength, int featureCount, IReadOnlyList<DetectionRow> rows, double attackSuccessRate)
    {
        Attack = attack;
        ClassNames = classNames;
        ImageSize = imageSize;
        PathLength = pathLength;
        FeatureCount = featureCount;
        Rows = rows;
        AttackSuccessRate = attackSuccessRate;
    }

    /// <summary>The attack that made the adversarial copies (<see cref="AdversarialAttack.ToString"/>).</summary>
    public string Attack { get; }

    /// <summary>Class names, indexed by the 0-based labels of the rows.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>C·H·W values per image.</summary>
    public int ImageSize { get; }

    /// <summary>Bits per path.</summary>
    public int PathLength { get; }

    /// <summary>Penultimate features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>The rows: for each clean image, its row, then its adversarial copy's row unless that was left out.</summary>
    public IReadOnlyList<DetectionRow> Rows { get; }

    /// <summary>Share of the clean images whose attack succeeded.</summary>
    public double AttackSuccessRate { get; }

    /// <summary>Number of adversarial rows.</summary>
    public int AdversarialCount => Rows.Count(r => r.IsAdversarial);

    /// <summary>
    /// The rows as an ML.NET view: <c>Image</c> (vector of C·H·W), <c>Path</c> (vector of <see cref="PathLength"/> 0/1
    /// values), <c>GateLogits</c> and <c>Responses</c> (vectors of <see cref="PathLength"/>: the gate logits behind the path
    /// and each gated filter's GAP response before its gate, see <see cref="DetectionRow"/>), <c>Score</c> (vector of K softmax scores), <c>IsAdversarial</c> and <c>AttackSucceeded</c> (Boolean),
    /// <c>Label</c> and <c>TargetLabel</c> (keys over the class names, 1-based raw values as ML.NET keys are; TargetLabel is
    /// missing for an untargeted attack) and <c>PairId</c> (Int32).
    /// </summary>
    public IDataView ToDataView(MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        var definition = SchemaDefinition.Create(typeof(DetectionViewRow), SchemaDefinition.Direction.Read);
        definition[nameof(DetectionViewRow.Image)].ColumnName = DecouplingColumnNames.Image;
        definition[nameof(DetectionViewRow.Image)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, ImageSize);
        definition[nameof(DetectionViewRow.Path)].ColumnName = DecouplingColumnNames.Path;
        definition[nameof(DetectionViewRow.Path)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, PathLength);
        definition[nameof(DetectionViewRow.GateLogits)].ColumnName = DecouplingColumnNames.GateLogits;
        definition[nameof(DetectionViewRow.GateLogits)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, PathLength);
        definition[nameof(DetectionViewRow.Responses)].ColumnName = DecouplingColumnNames.Responses;
        definition[nameof(DetectionViewRow.Responses)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, PathLength);
        int deviation = Rows.Count > 0 ? Rows[0].PathDeviation?.Length ?? 0 : 0;
        if (deviation > 0)
        {
            definition[nameof(DetectionViewRow.PathDeviation)].ColumnName = DecouplingColumnNames.PathDeviation;
            definition[nameof(DetectionViewRow.PathDeviation)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, deviation);
        }
        else
        {
            definition.Remove(definition[nameof(DetectionViewRow.PathDeviation)]);
        }

        definition[nameof(DetectionViewRow.Score)].ColumnName = DecouplingColumnNames.Score;
        definition[nameof(DetectionViewRow.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, ClassNames.Count);
        definition[nameof(DetectionViewRow.IsAdversarial)].ColumnName = DecouplingColumnNames.IsAdversarial;
        definition[nameof(DetectionViewRow.AttackSucceeded)].ColumnName = DecouplingColumnNames.AttackSucceeded;
        definition[nameof(DetectionViewRow.PairId)].ColumnName = DecouplingColumnNames.PairId;
        var keyValues = new VBuffer<ReadOnlyMemory<char>>(ClassNames.Count, [.. ClassNames.Select(n => n.AsMemory())]);
        foreach (var (member, name) in new[] { (nameof(DetectionViewRow.Label), DecouplingColumnNames.Label), (nameof(DetectionViewRow.TargetLabel), DecouplingColumnNames.TargetLabel) })
        {
            var column = definition[member];
            column.ColumnName = name;
            column.ColumnType = new KeyDataViewType(typeof(uint), ClassNames.Count);
            column.AddAnnotation("KeyValues", keyValues, new VectorDataViewType(TextDataViewType.Instance, ClassNames.Count));
        }

        return mlContext.Data.LoadFromEnumerable(Rows.Select(ViewRow), definition);
    }

    /// <summary>A view of the given rows only (e.g. a split), with the same columns as <see cref="ToDataView(MLContext)"/>.</summary>
    public DetectionSet Where(Func<DetectionRow, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var rows = Rows.Where(predicate).ToArray();
        var pairs = rows.Where(r => !r.IsAdversarial).ToArray();
        return new DetectionSet(Attack, ClassNames, ImageSize, PathLength, FeatureCount, rows, pairs.Length == 0 ? 0 : (double)pairs.Count(r => r.AttackSucceeded) / pairs.Length);
    }

    // LoadFromEnumerable reads a key member as a 0-based index and exposes it as the 1-based raw key (see ImageDataset);
    // -1 (no target) becomes uint.MaxValue, which the shift turns into the raw key 0: missing.
    private static DetectionViewRow ViewRow(DetectionRow row) => new()
    {
        Image = row.Image,
        Path = row.Path,
        GateLogits = row.GateLogits,
        Responses = row.Responses,
        PathDeviation = row.PathDeviation ?? [],
        Score = row.Score,
        IsAdversarial = row.IsAdversarial,
        AttackSucceeded = row.AttackSucceeded,
        Label = (uint)row.Label,
        TargetLabel = unchecked((uint)row.TargetLabel),
        PairId = row.PairId,
    };

    private sealed class DetectionViewRow
    {
        public float[] Image { get; set; } = [];

        public float[] Path { get; set; } = [];

        public float[] GateLogits { get; set; } = [];

        public float[] Responses { get; set; } = [];

        public float[] PathDeviation { get; set; } = [];

        public float[] Score { get; set; } = [];

        public bool IsAdversarial { get; set; }

        public bool AttackSucceeded { get; set; }

        public uint Label { get; set; }

        public uint TargetLabel { get; set; }

        public int PairId { get; set; }
    }
}
