using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// A parameterless container that registers children under given names, so that a network's state-dict keys can follow
/// the names of a PyTorch implementation (<c>layer1.0.conv1.weight</c>) without one class per nesting level.
/// </summary>
internal sealed class ModuleNode : nn.Module
{
    public ModuleNode(string name)
        : base(name)
    {
    }

    /// <summary>The child registered as <paramref name="name"/>, or null.</summary>
    public nn.Module? Child(string name) => named_children().FirstOrDefault(c => c.name == name).module;

    /// <summary>Registers <paramref name="module"/> as the child <paramref name="name"/>.</summary>
    public void Add(string name, nn.Module module) => register_module(name, module);

    /// <summary>Registers <paramref name="module"/> under a dotted <paramref name="path"/> (<c>layer1.0.conv1</c>), creating the nodes on the way.</summary>
    public void AddAt(string path, nn.Module module)
    {
        string[] parts = path.Split('.');
        var node = this;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (node.Child(parts[i]) is not ModuleNode next)
            {
                next = new ModuleNode(parts[i]);
                node.Add(parts[i], next);
            }

            node = next;
        }

        node.Add(parts[^1], module);
    }
}
