using System.Globalization;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>Adds nodes, initializers, inputs and outputs to a graph, refusing to define a value name twice.</summary>
internal sealed class OnnxGraphWriter
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _initializers = new(StringComparer.Ordinal);

    public OnnxGraphWriter(string name) => Graph = new GraphProto { Name = name };

    public GraphProto Graph { get; }

    /// <summary>Adds a node whose only output is named <paramref name="output"/>; the node takes the same name.</summary>
    public string Node(string opType, string output, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        Define(output);
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>
    /// Adds a float initializer, or returns the name of the initializer already added under <paramref name="name"/>; a name
    /// taken by anything else (the graph input, a node's output) is refused as any reused name is.
    /// </summary>
    public string Floats(string name, long[] dims, float[] values)
    {
        if (_initializers.Contains(name))
        {
            return name;
        }

        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        return Initializer(tensor);
    }

    /// <summary>Adds a one-dimensional int64 initializer (shapes, axes), or reuses the initializer of the same name (see <see cref="Floats"/>).</summary>
    public string Int64s(string name, params long[] values)
    {
        if (_initializers.Contains(name))
        {
            return name;
        }

        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Int64, Dims = { values.Length } };
        tensor.Int64Data.AddRange(values);
        return Initializer(tensor);
    }

    public string Initializer(TensorProto tensor)
    {
        Define(tensor.Name);
        _initializers.Add(tensor.Name);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Declares a graph input; a string dimension is symbolic, an int one fixed.</summary>
    public string Input(string name, DataType type, params object[] dims)
    {
        Define(name);
        Graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares an already defined value as a graph output.</summary>
    public void Output(string name, DataType type, params object[] dims) => Graph.Output.Add(ValueInfo(name, type, dims));

    private static ValueInfoProto ValueInfo(string name, DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object dim in dims)
        {
            shape.Dim.Add(dim is string symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, CultureInfo.InvariantCulture) });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private void Define(string name)
    {
        if (!_names.Add(name))
        {
            // Only a user-chosen input or output name can collide with the graph's own names.
            throw new ArgumentException(
                $"The ONNX value name '{name}' is used twice; choose {nameof(OnnxExportOptions)} input and output names that differ from "
                + "the graph's own value names (such as 'features.3.relu', 'layer1.0.conv1.conv', 'features.3.weight' or 'head.gemm').",
                "options");
        }
    }

    /// <summary>An int attribute.</summary>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>An ints attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }
}
