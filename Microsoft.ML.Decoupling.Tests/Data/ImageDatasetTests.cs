using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Data;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class ImageDatasetTests
{
    private static readonly string[] _classNames = ["circle", "square", "star"];

    [TestMethod]
    public void Constructor_KeepsShapeAndValues()
    {
        ImageDataset data = CreateSmall();

        Assert.AreEqual(4, data.Count);
        Assert.AreEqual(2, data.Channels);
        Assert.AreEqual(2, data.Height);
        Assert.AreEqual(3, data.Width);
        Assert.AreEqual(12, data.ImageSize);
        CollectionAssert.AreEqual(_classNames, data.ClassNames.ToArray());
        Assert.AreEqual(2, data.GetLabel(1));
        CollectionAssert.AreEqual(Enumerable.Range(12, 12).Select(Pixel).ToArray(), data.GetImage(1).ToArray());
    }

    [TestMethod]
    public void Constructor_PixelCountNotMatchingLabels_ThrowsNamingPixels()
    {
        var exception = Assert.ThrowsExactly<ArgumentException>(
            () => new ImageDataset(new float[11], [0], channels: 2, height: 2, width: 3, _classNames));

        Assert.AreEqual("pixels", exception.ParamName);
        Assert.Contains("12", exception.Message);
    }

    [TestMethod]
    [DataRow(-1)]
    [DataRow(3)]
    public void Constructor_LabelOutsideClassRange_ThrowsNamingLabels(int label)
    {
        var exception = Assert.ThrowsExactly<ArgumentException>(
            () => new ImageDataset(new float[6], [0, label], channels: 1, height: 1, width: 3, _classNames));

        Assert.AreEqual("labels", exception.ParamName);
    }

    [TestMethod]
    [DataRow(-0.5f)]
    [DataRow(1.5f)]
    [DataRow(float.NaN)]
    public void Constructor_PixelOutsideUnitRange_ThrowsNamingPixels(float value)
    {
        var exception = Assert.ThrowsExactly<ArgumentException>(
            () => new ImageDataset([0f, value], [0], channels: 1, height: 1, width: 2, _classNames));

        Assert.AreEqual("pixels", exception.ParamName);
    }

    [TestMethod]
    public void Constructor_NonPositiveSize_ThrowsOutOfRange()
    {
        var exception = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => new ImageDataset([], [], channels: 1, height: 0, width: 2, _classNames));

        Assert.AreEqual("height", exception.ParamName);
    }

    [TestMethod]
    public void GetImage_IndexOutOfRange_Throws()
    {
        ImageDataset data = CreateSmall();

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => data.GetImage(4));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => data.GetLabel(-1));
    }

    [TestMethod]
    public void Slice_CopiesTheRequestedImages()
    {
        ImageDataset data = CreateSmall();

        ImageDataset slice = data.Slice(1, 2);

        Assert.AreEqual(2, slice.Count);
        Assert.AreEqual(data.ImageSize, slice.ImageSize);
        CollectionAssert.AreEqual(data.Labels[1..3], slice.Labels);
        CollectionAssert.AreEqual(data.Pixels[12..36], slice.Pixels);
        Assert.AreNotSame(data.Pixels, slice.Pixels);
        Assert.AreEqual(0, data.Slice(4, 0).Count);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => data.Slice(3, 2));
    }

    [TestMethod]
    public void ToDataView_Schema_HasKnownSizeImageVectorAndKeyLabelWithClassNames()
    {
        IDataView view = CreateSmall().ToDataView(new MLContext(seed: 1));

        DataViewSchema.Column image = view.Schema[DecouplingColumnNames.Image];
        var imageType = (VectorDataViewType)image.Type;
        Assert.AreEqual(NumberDataViewType.Single, imageType.ItemType);
        Assert.AreEqual(12, imageType.Size);
        Assert.IsTrue(imageType.IsKnownSize);

        DataViewSchema.Column label = view.Schema[DecouplingColumnNames.Label];
        var labelType = (KeyDataViewType)label.Type;
        Assert.AreEqual(typeof(uint), labelType.RawType);
        Assert.AreEqual(3UL, labelType.Count);
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        label.GetKeyValues(ref keyValues);
        CollectionAssert.AreEqual(_classNames, keyValues.DenseValues().Select(name => name.ToString()).ToArray());
    }

    [TestMethod]
    public void ToDataView_CreateEnumerable_RoundTripsPixelsAndOneBasedKeys()
    {
        ImageDataset data = CreateSmall();
        var mlContext = new MLContext(seed: 1);

        ImageRow[] rows = [.. mlContext.Data.CreateEnumerable<ImageRow>(data.ToDataView(mlContext), reuseRowObject: false)];

        Assert.HasCount(data.Count, rows);
        for (int i = 0; i < data.Count; i++)
        {
            CollectionAssert.AreEqual(data.GetImage(i).ToArray(), rows[i].Image, $"image {i}");
            Assert.AreEqual((uint)data.GetLabel(i) + 1, rows[i].Label, $"label {i}");
        }
    }

    [TestMethod]
    public void ToDataView_Cursor_CanBeReadTwice()
    {
        ImageDataset data = TestDatasets.LoadFashionMnistSubset(DataSplit.Test, limit: 50);
        IDataView view = data.ToDataView(new MLContext(seed: 1));

        for (int pass = 0; pass < 2; pass++)
        {
            using DataViewRowCursor cursor = view.GetRowCursor(view.Schema);
            ValueGetter<VBuffer<float>> getImage = cursor.GetGetter<VBuffer<float>>(view.Schema[DecouplingColumnNames.Image]);
            ValueGetter<uint> getLabel = cursor.GetGetter<uint>(view.Schema[DecouplingColumnNames.Label]);
            VBuffer<float> image = default;
            uint label = 0;
            int row = 0;
            while (cursor.MoveNext())
            {
                getImage(ref image);
                getLabel(ref label);
                CollectionAssert.AreEqual(data.GetImage(row).ToArray(), image.DenseValues().ToArray(), $"pass {pass}, row {row}");
                Assert.AreEqual((uint)data.GetLabel(row) + 1, label);
                row++;
            }

            Assert.AreEqual(data.Count, row);
        }
    }

    [TestMethod]
    public void ToDataView_FitsMapValueToKeyConsumers()
    {
        ImageDataset data = TestDatasets.LoadFashionMnistSubset(DataSplit.Test, limit: 20);
        var mlContext = new MLContext(seed: 1);
        const string classNameColumn = "ClassName";

        // Key-to-value conversion only works when the KeyValues annotation is present and typed correctly.
        IDataView names = mlContext.Transforms.Conversion
            .MapKeyToValue(classNameColumn, DecouplingColumnNames.Label)
            .Fit(data.ToDataView(mlContext))
            .Transform(data.ToDataView(mlContext));

        string[] classNames = [.. names.GetColumn<ReadOnlyMemory<char>>(classNameColumn).Select(name => name.ToString())];
        CollectionAssert.AreEqual(data.Labels.Select(label => FashionMnist.ClassNames[label]).ToArray(), classNames);
    }

    private static ImageDataset CreateSmall()
    {
        const int count = 4, imageSize = 2 * 2 * 3;
        float[] pixels = [.. Enumerable.Range(0, count * imageSize).Select(Pixel)];
        return new ImageDataset(pixels, [0, 2, 1, 2], channels: 2, height: 2, width: 3, _classNames);
    }

    private static float Pixel(int position) => position / 64f;

    private sealed class ImageRow
    {
        [ColumnName(DecouplingColumnNames.Image)]
        public float[] Image { get; set; } = [];

        [ColumnName(DecouplingColumnNames.Label)]
        public uint Label { get; set; }
    }
}
