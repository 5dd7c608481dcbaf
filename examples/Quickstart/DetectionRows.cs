using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Transforms;

namespace Quickstart;

/// <summary>
/// The rows of <c>paths.csv</c> from the path detector's report on <c>images</c> (the first test images): the report lists
/// image i's clean row, then its adversarial row. The detector's report has no scores, so the class probabilities are
/// read here: the clean ones from the model's output, the adversarial ones by running the same (deterministic) FGSM
/// attack again; a prediction that differs from the report's is an error, not a silent mismatch.
/// </summary>
internal static class DetectionRows
{
    public static List<PathsCsvRow> From(MLContext mlContext, DecoupledNetworkTransformer model, ImageDataset images, AdversarialDetectionReport detection)
    {
        if (detection.Rows.Count != 2 * images.Count)
        {
            throw new InvalidOperationException($"The detector reported {detection.Rows.Count} rows for {images.Count} images; expected a clean and an adversarial row per image.");
        }

        var pixels = new float[images.Count * images.ImageSize];
        var labels = new int[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            images.GetImage(i).CopyTo(pixels.AsSpan(i * images.ImageSize));
            labels[i] = images.GetLabel(i);
        }

        var attacked = new ImageDataset(
            FastGradientSignMethod.Attack(model.Network, pixels, labels, detection.Epsilon), labels, images.Channels, images.Height, images.Width, images.ClassNames);
        var cleanScores = Scores(mlContext, model, images);
        var adversarialScores = Scores(mlContext, model, attacked);

        var rows = new List<PathsCsvRow>(detection.Rows.Count);
        for (int i = 0; i < images.Count; i++)
        {
            var clean = detection.Rows[2 * i];
            var adversarial = detection.Rows[(2 * i) + 1];
            if (clean.IsAdversarial || !adversarial.IsAdversarial || clean.Label != labels[i] || adversarial.Label != labels[i]
                || clean.Predicted != ArgMax(cleanScores[i]) || adversarial.Predicted != ArgMax(adversarialScores[i]))
            {
                throw new InvalidOperationException($"The detector's rows for image {i} do not match the image, its attack or the model's predictions.");
            }

            rows.Add(new PathsCsvRow(i, i, false, clean.IsTest, clean.Label, clean.Predicted, cleanScores[i], clean.Path));
            rows.Add(new PathsCsvRow(i, i, true, adversarial.IsTest, adversarial.Label, adversarial.Predicted, adversarialScores[i], adversarial.Path));
        }

        return rows;
    }

    private static float[][] Scores(MLContext mlContext, DecoupledNetworkTransformer model, ImageDataset images) =>
        [.. model.Transform(images.ToDataView(mlContext)).GetColumn<VBuffer<float>>(DecouplingColumnNames.Score).Select(s => s.DenseValues().ToArray())];

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());
}
