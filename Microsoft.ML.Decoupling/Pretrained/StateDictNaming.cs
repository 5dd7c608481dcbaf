namespace Microsoft.ML.Decoupling.Pretrained;

/// <summary>How the keys of a pretrained state dict relate to a <see cref="Modules.DecoupledNetwork"/>'s keys.</summary>
/// <remarks>
/// Our networks use the names of the usual PyTorch implementations, so most files load as they are (<see cref="Native"/>):
/// torchvision's <c>resnet18</c>; the CIFAR ResNets of akamaster/pytorch_resnet_cifar10 (<c>conv1</c>, <c>bn1</c>,
/// <c>layer1.0.conv1</c> …, <c>linear</c>); the CIFAR GoogLeNet of kuangliu/pytorch-cifar (<c>pre_layers.0</c>,
/// <c>a3.b1.0</c> …, <c>linear</c>); and every dense network or checkpoint of this package. See the README's table.
/// </remarks>
public enum StateDictNaming
{
    /// <summary>Keys are ours as they are.</summary>
    Native,

    /// <summary>
    /// torchvision's <c>vgg16_bn</c> (and the other <c>vgg*_bn</c>): <c>features.*</c> load as they are (build the network with
    /// <c>convolutionBias: true</c>); torchvision's three-layer <c>classifier.*</c> (7×7×512 → 4096 → 4096 → 1000) has no
    /// counterpart in our global-average-pooling head, so it is skipped and our <c>classifier</c> keeps its initialisation.
    /// </summary>
    TorchvisionVgg,

    /// <summary>Network slimming's CIFAR VGG: <c>feature.*</c> is renamed to <c>features.*</c>; <c>classifier</c> loads as it is.</summary>
    NetworkSlimmingVgg,

    /// <summary>
    /// The gated ResNets of the paper authors' release: <c>layer{s}.{b}.ad_block{1,2,3}.fc1/fc2</c> →
    /// <c>gates.layer{s}_{b}_conv{1,2}</c> / <c>…_downsample_0</c> <c>.squeeze/excite</c>, <c>….fc_class</c> →
    /// <c>path_classifiers.…</c>; every other key loads as it is. The release also gates the last conv, which the paper
    /// (and this package) leaves ungated: those entries are listed in
    /// <see cref="PretrainedWeightsLoadReport.UnmappedSourceKeys"/>, not loaded. Their dense files need <see cref="Native"/>.
    /// </summary>
    DecouplingRelease,
}
