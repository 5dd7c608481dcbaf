using System.Globalization;
using System.Text;

namespace Quickstart;

/// <summary>One row of <c>paths.csv</c>: an image as the path detector saw it, clean or attacked.</summary>
/// <param name="ImageIndex">0-based index of the image in the test split.</param>
/// <param name="PairId">Shared by an image's clean row and its adversarial row.</param>
/// <param name="IsAdversarial">Whether this is the attacked copy.</param>
/// <param name="IsDetectorTest">Whether the pair is in the detector's test split (else its training split).</param>
/// <param name="Label">True class, 0-based.</param>
/// <param name="Predicted">Class the network predicts, 0-based.</param>
/// <param name="Scores">The network's class probabilities (its Score column), one per class.</param>
/// <param name="Path">The calculation path, one 0/1 value per gated filter.</param>
/// <param name="Responses">The gated filters' responses (GAP before the gate), one per path bit.</param>
internal sealed record PathsCsvRow(int ImageIndex, int PairId, bool IsAdversarial, bool IsDetectorTest, int Label, int Predicted, float[] Scores, float[] Path, float[] Responses);

/// <summary>
/// Writes <c>paths.csv</c>, readable without the source code. Columns: <c>image_index</c> (0-based index into the test
/// split), <c>pair_id</c> (the same for an image's clean and adversarial rows), <c>role</c> (<c>clean</c> or
/// <c>adversarial</c>), <c>detector_split</c> (<c>train</c> or <c>test</c>), <c>label_key</c> and <c>predicted_key</c>
/// (1-based, as ML.NET key values), <c>label</c> and <c>predicted</c> (class names), <c>score_&lt;class&gt;</c> (the
/// network's probability for each class), then <c>path_0</c> … (1 = the filter is on; the layers are in the ONNX model's
/// metadata and in the order of the network's gated convs), then <c>response_0</c> … (the same filters' GAP responses
/// before their gates, the Responses column).
/// </summary>
internal static class PathsCsv
{
    public static void Write(string file, IReadOnlyList<string> classNames, IReadOnlyList<PathsCsvRow> rows)
    {
        int pathLength = rows.Count == 0 ? 0 : rows[0].Path.Length;
        var text = new StringBuilder("image_index,pair_id,role,detector_split,label_key,label,predicted_key,predicted");
        foreach (string name in classNames)
        {
            text.Append(',').Append(Field("score_" + name));
        }

        for (int i = 0; i < pathLength; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $",path_{i}");
        }

        for (int i = 0; i < pathLength; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $",response_{i}");
        }

        text.Append('\n');
        foreach (var row in rows)
        {
            text.Append(CultureInfo.InvariantCulture, $"{row.ImageIndex},{row.PairId},{(row.IsAdversarial ? "adversarial" : "clean")},{(row.IsDetectorTest ? "test" : "train")},");
            text.Append(CultureInfo.InvariantCulture, $"{row.Label + 1},{Field(classNames[row.Label])},{row.Predicted + 1},{Field(classNames[row.Predicted])}");
            foreach (float score in row.Scores)
            {
                text.Append(',').Append(score.ToString("R", CultureInfo.InvariantCulture));
            }

            foreach (float bit in row.Path)
            {
                text.Append(bit > 0.5f ? ",1" : ",0");
            }

            foreach (float response in row.Responses)
            {
                text.Append(',').Append(response.ToString("R", CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }

        File.WriteAllText(file, text.ToString());
    }

    // Class names may hold commas or quotes ("T-shirt/top" does not, but a folder name might).
    private static string Field(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) < 0 ? value : $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
