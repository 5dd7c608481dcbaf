using Google.Protobuf;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Onnx;
using Onnx;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class OnnxPathLayoutReaderTests
{
    private const string GoodTable =
        """{"path_length":12,"layers":[{"name":"a","filters":4,"path_offset":0,"dense_flops":10,"gate_flops":1},{"name":"b","filters":8,"path_offset":4,"dense_flops":20,"gate_flops":2}]}""";

    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = TestDatasets.CreateTempDirectory("decoupling-layout");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void AWellFormedTable_ReadsBack()
    {
        var layout = CalculationPathLayout.FromOnnx(WriteModel("good.onnx", GoodTable));
        Assert.AreEqual(12, layout.PathLength);
        Assert.AreEqual(("b", 3), (layout.Locate(7).Layer.Name, layout.Locate(7).Filter));
    }

    [TestMethod]
    [DataRow("{}", "lacks 'path_length' or 'layers'")]
    [DataRow("""{"path_length":12}""", "lacks 'path_length' or 'layers'")]
    [DataRow("{\"path_length\":12,", "not valid JSON")]
    [DataRow("[1, 2]", "not valid JSON")]
    [DataRow("""{"path_length":13,"layers":[{"name":"a","filters":4,"path_offset":0,"dense_flops":10,"gate_flops":1},{"name":"b","filters":8,"path_offset":4,"dense_flops":20,"gate_flops":2}]}""", "'path_length' is 13 but the layers hold 12 bits")]
    [DataRow("""{"path_length":4,"layers":[{"name":"a","filters":4,"path_offset":2,"dense_flops":10,"gate_flops":1}]}""", "starts at path bit 2")]
    [DataRow("""{"path_length":0,"layers":[{"filters":0,"path_offset":0,"dense_flops":10,"gate_flops":1}]}""", "without a name or with a non-positive filter count")]
    public void ABrokenTable_IsInvalidDataNamingTheFileAndTheProblem(string json, string expected)
    {
        string path = WriteModel("broken.onnx", json);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => CalculationPathLayout.FromOnnx(path));
        StringAssert.Contains(error.Message, path);
        StringAssert.Contains(error.Message, expected);
    }

    private string WriteModel(string name, string table)
    {
        var model = new ModelProto { IrVersion = 8 };
        model.MetadataProps.Add(new StringStringEntryProto { Key = DecoupledNetworkOnnxExporter.PathLayoutMetadataKey, Value = table });
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }
}
