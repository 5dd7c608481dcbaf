namespace Microsoft.ML.Decoupling.Pretrained.Pickle;

/// <summary>A Python global (class or function) named by a pickle; never resolved or called.</summary>
/// <param name="Module">The module, e.g. <c>torch._utils</c>.</param>
/// <param name="Name">The name in the module, e.g. <c>_rebuild_tensor_v2</c>.</param>
internal sealed record PickleGlobal(string Module, string Name)
{
    /// <summary><c>module.name</c>.</summary>
    public string FullName => $"{Module}.{Name}";

    public override string ToString() => FullName;
}
