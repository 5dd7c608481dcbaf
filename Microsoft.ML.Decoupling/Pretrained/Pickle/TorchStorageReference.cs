using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Pretrained.Pickle;

/// <summary>
/// A typed storage named by a <c>torch.save</c> persistent id: the key of its bytes (a zip entry or a slot after the
/// legacy pickle), its element type and length, and, for a legacy view, where the view starts in the root storage.
/// </summary>
internal sealed record TorchStorageReference(string Key, ScalarType ElementType, long ElementCount, long ViewOffset, long ViewLength);
