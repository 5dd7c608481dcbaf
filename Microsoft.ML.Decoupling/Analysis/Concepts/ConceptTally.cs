using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>Running sums of <see cref="ConceptAnalysis.Analyze"/> over batches.</summary>
internal sealed class ConceptTally
{
    private readonly CalculationPathLayout _layout;
    private readonly string[] _concepts;
    private readonly int[] _images;
    private readonly double[][] _iouSums;      // [layer][filter·T + t]
    private readonly long[][] _associations;   // [layer][filter·T + t]
    private readonly long[][] _switchedOff;    // [layer][filter·T + t]
    private readonly double[][] _multiSums;    // [layer][t]

    public ConceptTally(CalculationPathLayout layout, string[] concepts)
    {
        _layout = layout;
        _concepts = concepts;
        _images = new int[concepts.Length];
        _iouSums = layout.Layers.Select(l => new double[l.Filters * concepts.Length]).ToArray();
        _associations = layout.Layers.Select(l => new long[l.Filters * concepts.Length]).ToArray();
        _switchedOff = layout.Layers.Select(l => new long[l.Filters * concepts.Length]).ToArray();
        _multiSums = layout.Layers.Select(_ => new double[concepts.Length]).ToArray();
    }

    public void AddImages(int concept, int count) => _images[concept] += count;

    public void AddSingle(int layer, int concept, int filter, double iou, double associationIoU)
    {
        _iouSums[layer][(filter * _concepts.Length) + concept] += iou;
        _associations[layer][(filter * _concepts.Length) + concept] += iou > associationIoU ? 1 : 0;
    }

    public void AddSwitchedOff(int layer, int concept, int filter) => _switchedOff[layer][(filter * _concepts.Length) + concept]++;

    public void AddMulti(int layer, int concept, double iou) => _multiSums[layer][concept] += iou;

    public ConceptAnalysisResult Result(ReceptiveFieldThresholds thresholds)
    {
        int t = _concepts.Length;
        var layers = new List<(string Layer, double MeanScore, IReadOnlyList<(FilterReference Filter, string? Concept, double Score, double MeanIoU)> Filters)>();
        var coverage = new List<ConceptCoverage>();
        for (int l = 0; l < _layout.Layers.Count; l++)
        {
            var layer = _layout.Layers[l];
            var scores = new List<(FilterReference Filter, string? Concept, double Score, double MeanIoU)>();
            for (int f = 0; f < layer.Filters; f++)
            {
                string? best = null;
                double bestScore = 0, bestIoU = 0;
                for (int c = 0; c < t; c++)
                {
                    if (_images[c] == 0)
                    {
                        continue;
                    }

                    double score = (double)_associations[l][(f * t) + c] / _images[c];
                    double iou = _iouSums[l][(f * t) + c] / _images[c];
                    if (best is null || score > bestScore || (score == bestScore && iou > bestIoU))
                    {
                        (best, bestScore, bestIoU) = (_concepts[c], score, iou);
                    }
                }

                scores.Add((new FilterReference(l, layer.Name, f), best, bestScore, bestIoU));
            }

            layers.Add((layer.Name, scores.Count == 0 ? 0 : scores.Average(s => s.Score), scores));
            for (int c = 0; c < t; c++)
            {
                if (_images[c] == 0)
                {
                    continue;
                }

                double single = Enumerable.Range(0, layer.Filters).Max(f => _iouSums[l][(f * t) + c]) / _images[c];
                long switched = Enumerable.Range(0, layer.Filters).Sum(f => _switchedOff[l][(f * t) + c]);
                int top = Enumerable.Range(0, layer.Filters).MaxBy(f => _switchedOff[l][(f * t) + c]);
                long topCount = _switchedOff[l][(top * t) + c];
                coverage.Add(new ConceptCoverage(
                    layer.Name,
                    _concepts[c],
                    _images[c],
                    single,
                    _multiSums[l][c] / _images[c],
                    (double)switched / _images[c],
                    topCount == 0 ? null : new FilterReference(l, layer.Name, top),
                    (double)topCount / _images[c]));
            }
        }

        return new ConceptAnalysisResult(_concepts, layers, coverage, thresholds);
    }
}
