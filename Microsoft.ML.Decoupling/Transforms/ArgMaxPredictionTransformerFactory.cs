using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// Builds ML.NET's own multiclass scorer over the network's Score column, so that PredictedLabel is a scalar key
/// with the label's key values, exactly as ML.NET trainers emit it, and so that stock ML.NET saves and loads it.
/// </summary>
/// <remarks>
/// The scorer wraps a maximum-entropy model with identity weights and zero bias: its scores are softmax(Score), whose
/// arg-max is Score's arg-max, so PredictedLabel is exactly the most probable class. ML.NET 5.0.1 keeps both
/// constructors internal and has no other public way to emit a scalar key from an ONNX model (OnnxTransformer only
/// emits vectors), so they are invoked by reflection; a missing constructor fails with a clear message.
/// </remarks>
internal static class ArgMaxPredictionTransformerFactory
{
    /// <summary>ML.NET's scorer writes its own scores to this column name, whatever the options say.</summary>
    public const string ScorerScoreColumn = MLNetColumnNames.Score;

    public static ITransformer Create(IHostEnvironment environment, DataViewSchema schema, string networkScoreColumn, string labelColumn, string predictedLabelColumn, int classes)
    {
        var weights = new VBuffer<float>[classes];
        for (int k = 0; k < classes; k++)
        {
            weights[k] = new VBuffer<float>(classes, 1, [1f], [k]);
        }

        var model = Construct<MaximumEntropyModelParameters>(
            [typeof(IHostEnvironment), typeof(VBuffer<float>[]), typeof(float[]), typeof(int), typeof(int), typeof(string[]), typeof(ModelStatisticsBase)],
            [environment, weights, new float[classes], classes, classes, null, null]);
        return Construct<MulticlassPredictionTransformer<MaximumEntropyModelParameters>>(
            [typeof(IHostEnvironment), typeof(MaximumEntropyModelParameters), typeof(DataViewSchema), typeof(string), typeof(string), typeof(string), typeof(string)],
            [environment, model, schema, networkScoreColumn, labelColumn, ScorerScoreColumn, predictedLabelColumn]);
    }

    private static T Construct<T>(Type[] parameterTypes, object?[] arguments)
    {
        var constructor = typeof(T).GetConstructor(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public, parameterTypes)
            ?? throw new InvalidOperationException(
                $"This version of ML.NET has no {typeof(T).Name}({string.Join(", ", parameterTypes.Select(t => t.Name))}) constructor; " +
                "Microsoft.ML.Decoupling is built against Microsoft.ML 5.0.1.");
        try
        {
            return (T)constructor.Invoke(arguments);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }
    }
}
