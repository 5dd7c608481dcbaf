using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// The estimator takes the images' shape from a column that carries one (ExtractPixels: Vector&lt;Single, C, H, W&gt;);
/// it once guessed a square from the size alone, so 1×8×18 images (144 values) trained as 1×12×12. Raw keys past their
/// key type's count, which a view of the user's own can hold, are refused while reading.
/// </summary>
[TestClass]
public sealed class ImageColumnShapeAndKeyTests
{
    private static readonly MLContext Ml = new(seed: 1);

    private static DecoupleNetworkEstimator.Options Options() => new() { Epochs = 1, Architecture = NetworkArchitecture.Vgg("4,4,4"), Seed = 1 };

    [TestMethod]
    public void ImageColumnWithItsShape_GivesTheNetworkItsShape_AndContradictingOptionsOrScoringColumnsAreRefused()
    {
        var data = Ml.Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(i => new WideRow { Image = Pixels(i, 144), Label = (uint)(i % 2) + 1 }));
        Assert.AreEqual("Vector<Single, 1, 8, 18>", data.Schema["Image"].Type.ToString());

        using var model = Ml.Transforms.DecoupleNetwork(Options()).Fit(data);
        Assert.AreEqual(new ImageShape(1, 8, 18), model.Network.Input);

        var swapped = Options();
        swapped.ImageHeight = 18;
        swapped.ImageWidth = 8;
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Ml.Transforms.DecoupleNetwork(swapped).Fit(data));
        Assert.AreEqual("ImageHeight", error.ParamName);
        StringAssert.Contains(error.Message, "Column 'Image' holds 1×8×18 images");
        var matching = Options();
        matching.ImageHeight = 8;
        matching.ImageWidth = 18;
        using (var same = Ml.Transforms.DecoupleNetwork(matching).Fit(data))
        {
            Assert.AreEqual(model.Network.Input, same.Network.Input, "options that agree with the column");
        }

        var tall = Ml.Data.LoadFromEnumerable(Enumerable.Range(0, 2).Select(i => new TallRow { Image = Pixels(i, 144), Label = 1 }));
        var scoring = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Transform(tall));
        StringAssert.Contains(scoring.Message, "1×18×8 values of Single");
    }

    [TestMethod]
    public void RawKeyPastTheKeyCount_IsRefusedNamingTheColumnAndRow()
    {
        var data = Ml.Data.LoadFromEnumerable(Enumerable.Range(0, 6).Select(i => new WideRow { Image = Pixels(i, 144), Label = (uint)(i % 3) + 1 }));
        var view = new RawKeys(data, badRow: 4, badKey: 7);
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => Ml.Transforms.DecoupleNetwork(Options()).Fit(view));
        StringAssert.Contains(error.Message, "Column 'Label' holds key 7 at row 4; its key type has 3 values");
    }

    [TestMethod]
    public void ImageSidesPastOneArray_AreRefusedNamingTheOption()
    {
        // 2×65536×32769 wrapped to 131072 in int arithmetic and passed a 131072-value column.
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Ml.Transforms.DecoupleNetwork(
            new DecoupleNetworkEstimator.Options { ImageChannels = 2, ImageHeight = 65536, ImageWidth = 32769 }));
        Assert.AreEqual("ImageHeight", error.ParamName);
        StringAssert.Contains(error.Message, "2×65536×32769");
    }

    [TestMethod]
    public void VectorOfKeysAsLabel_IsRefusedByGetOutputSchemaAsByFit()
    {
        var data = Ml.Data.LoadFromEnumerable(Enumerable.Range(0, 4).Select(i => new KeyVectorRow { Image = Pixels(i, 144), Label = [1, 2] }));
        var estimator = Ml.Transforms.DecoupleNetwork(Options());
        // ML.NET makes the input's SchemaShape internally only (SchemaShape.Create is internal).
        var shape = (SchemaShape)typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewSchema)])!
            .Invoke(null, [data.Schema])!;
        var schemaError = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(shape));
        Assert.AreEqual("labelColumnName", schemaError.ParamName);
        StringAssert.Contains(schemaError.Message, "scalar key type");
        Assert.AreEqual("labelColumnName", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(data)).ParamName);
    }

    private static float[] Pixels(int seed, int size) => Enumerable.Range(0, size).Select(j => ((seed * 7) + j) % 10 / 10f).ToArray();

    private sealed class WideRow
    {
        [VectorType(1, 8, 18)]
        public float[] Image { get; set; } = [];

        [KeyType(3)]
        public uint Label { get; set; }
    }

    private sealed class KeyVectorRow
    {
        [VectorType(1, 8, 18)]
        public float[] Image { get; set; } = [];

        [KeyType(3)]
        [VectorType(2)]
        public uint[] Label { get; set; } = [];
    }

    private sealed class TallRow
    {
        [VectorType(1, 18, 8)]
        public float[] Image { get; set; } = [];

        [KeyType(3)]
        public uint Label { get; set; }
    }

    /// <summary>The inner view with one row's raw label key replaced (ML.NET's own loaders turn such keys into missing ones).</summary>
    private sealed class RawKeys(IDataView inner, long badRow, uint badKey) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema => inner.Schema;

        public long? GetRowCount() => inner.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            new Cursor(inner.GetRowCursor(columnsNeeded), badRow, badKey);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor(DataViewRowCursor inner, long badRow, uint badKey) : DataViewRowCursor
        {
            public override long Position => inner.Position;

            public override long Batch => inner.Batch;

            public override DataViewSchema Schema => inner.Schema;

            public override bool MoveNext() => inner.MoveNext();

            public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                var getter = inner.GetGetter<TValue>(column);
                if (column.Name != "Label" || getter is not ValueGetter<uint> keys)
                {
                    return getter;
                }

                ValueGetter<uint> replaced = (ref uint value) =>
                {
                    keys(ref value);
                    if (inner.Position == badRow)
                    {
                        value = badKey;
                    }
                };
                return (ValueGetter<TValue>)(Delegate)replaced;
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    inner.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }
}
