using System.Reflection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// Finds the host environment behind an ML.NET catalog. ML.NET keeps it internal (DESIGN.md §3); it is read once by
/// reflection so that logs reach <c>MLContext.Log</c> and seeds follow <c>MLContext(seed)</c>.
/// </summary>
internal static class CatalogEnvironment
{
    public static IHostEnvironment Get(object catalog)
    {
        for (var type = catalog.GetType(); type is not null; type = type.BaseType)
        {
            const BindingFlags Flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
            foreach (var property in type.GetProperties(Flags).Where(p => typeof(IHostEnvironment).IsAssignableFrom(p.PropertyType) && p.GetIndexParameters().Length == 0))
            {
                if (property.GetValue(catalog) is IHostEnvironment environment)
                {
                    return environment;
                }
            }

            foreach (var field in type.GetFields(Flags).Where(f => typeof(IHostEnvironment).IsAssignableFrom(f.FieldType)))
            {
                if (field.GetValue(catalog) is IHostEnvironment environment)
                {
                    return environment;
                }
            }
        }

        throw new InvalidOperationException(
            $"Could not find the ML.NET environment behind {catalog.GetType().Name}; Microsoft.ML.Decoupling supports Microsoft.ML 5.0.1.");
    }

    /// <summary>
    /// <c>MLContext.GpuDeviceId</c> and <c>MLContext.FallbackToCpu</c> of the environment (null and false when it has none), read by
    /// property name from whatever environment the catalog holds.
    /// An MLContext gives its catalogs its internal LocalEnvironment, not itself; that environment holds the two settings
    /// (ML.NET's internal IHostEnvironmentInternal, which its own ONNX catalog reads), so they are read
    /// by reflection.
    /// </summary>
    public static (int? GpuDeviceId, bool FallbackToCpu) GpuSettings(IHostEnvironment environment)
    {
        const BindingFlags Flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        var type = environment.GetType();
        var gpu = type.GetProperty(nameof(MLContext.GpuDeviceId), Flags)?.GetValue(environment) as int?;
        bool fallback = type.GetProperty(nameof(MLContext.FallbackToCpu), Flags)?.GetValue(environment) as bool? ?? false;
        return (gpu, fallback);
    }
}
