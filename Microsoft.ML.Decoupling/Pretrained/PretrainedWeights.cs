using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Pretrained;

/// <summary>
/// Where a network's initial (pretrained, usually dense) weights come from: a PyTorch state dict (<c>.pt</c>, <c>.pth</c>,
/// <c>.bin</c> in the zip or legacy container, possibly wrapped in a training checkpoint, see <see cref="StateDictFile"/>;
/// <c>.safetensors</c>), a checkpoint of this package (<c>.ckpt</c>), or a network in memory. Applying them
/// copies every conv, BatchNorm and linear tensor; the gates and per-layer path classifiers, which dense weights do not
/// have, keep their initialisation (DESIGN.md §2: W1 = 0, biases 1). Any other missing, unexpected or mis-shaped entry
/// fails with a <see cref="PretrainedWeightsMismatchException"/> that lists them all, and nothing is copied.
/// </summary>
public sealed class PretrainedWeights
{
    private readonly Func<DecoupledNetwork, PretrainedWeightsLoadReport> _apply;

    private PretrainedWeights(string description, Func<DecoupledNetwork, PretrainedWeightsLoadReport> apply)
    {
        Description = description;
        _apply = apply;
    }

    /// <summary>What the weights are, for logs.</summary>
    public string Description { get; }

    /// <summary>Weights from a file: a PyTorch state dict (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.safetensors</c>) or a checkpoint of this package (<c>.ckpt</c>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="naming">How the file's keys relate to ours.</param>
    /// <param name="ignoredPrefixes">
    /// Source key prefixes to skip, with their dot (e.g. <c>"fc."</c> for an ImageNet head when training on 10 classes); the
    /// matching layers of the network keep their initialisation.
    /// </param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is a directory, or its extension is none of the above.</exception>
    /// <exception cref="InvalidDataException">The file does not start as its format does (checked now, not when the weights are applied).</exception>
    public static PretrainedWeights FromFile(string path, StateDictNaming naming = StateDictNaming.Native, IEnumerable<string>? ignoredPrefixes = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"Pretrained weights '{path}' is a directory; expected a weights file (.pt, .pth, .bin, .safetensors or a .ckpt checkpoint).", nameof(path));
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Pretrained weights '{path}' do not exist.", path);
        }

        var ignored = (ignoredPrefixes ?? []).ToList();
        bool checkpoint = Path.GetExtension(path).Equals(".ckpt", StringComparison.OrdinalIgnoreCase);
        if (checkpoint)
        {
            _ = TrainingCheckpoint.ReadHeader(path); // its magic number, version and header
        }
        else
        {
            StateDictFile.RequireFormat(path);
        }

        return new PretrainedWeights($"{path} ({naming})", network =>
        {
            using var scope = NewDisposeScope();
            if (!checkpoint)
            {
                return Loader(naming, ignored, network).Load(network, StateDictFile.Read(path), Path.GetFileName(path));
            }

            var header = TrainingCheckpoint.ReadHeader(path).Header;
            // Every value is loaded next; a seed keeps the build off torch's process-wide generator.
            using var saved = header.BuildableArchitecture(path).Build(header.Input, header.Classes, header.Gated, header.GateReduction ?? Transforms.DecoupleNetworkDefaults.GateReduction, seed: 0);
            TrainingCheckpoint.LoadNetwork(path, saved);
            return Loader(naming, ignored, network).Load(network, saved.state_dict(), Path.GetFileName(path));
        });
    }

    /// <summary>Weights of another network of the same architecture, typically the dense baseline trained by this package.</summary>
    public static PretrainedWeights FromNetwork(DecoupledNetwork source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new PretrainedWeights($"{(source.IsGated ? "gated" : "dense")} {source.Architecture} in memory", network =>
        {
            using var scope = NewDisposeScope();
            return Loader(StateDictNaming.Native, [], network).Load(network, source.state_dict(), Description(source));
        });

        static string Description(DecoupledNetwork n) => $"{(n.IsGated ? "gated" : "dense")} {n.Architecture}";
    }

    /// <summary>Copies the weights into <paramref name="network"/>.</summary>
    /// <exception cref="PretrainedWeightsMismatchException">Names or shapes do not match; the message lists every mismatched entry and nothing was copied.</exception>
    public void ApplyTo(DecoupledNetwork network) => ApplyWithReport(network);

    /// <summary><see cref="ApplyTo"/>, returning what was loaded, kept and ignored (the training log's description).</summary>
    internal PretrainedWeightsLoadReport ApplyWithReport(DecoupledNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return _apply(network);
    }

    /// <inheritdoc/>
    public override string ToString() => Description;

    /// <summary>Whether a key of our networks belongs to the decoupling modules (absent from dense weights).</summary>
    internal static bool IsDecouplingKey(string key) =>
        key.StartsWith(NetworkBuilder.GatesModuleName + ".", StringComparison.Ordinal)
        || key.StartsWith(NetworkBuilder.PathClassifiersModuleName + ".", StringComparison.Ordinal);

    private static PretrainedWeightsLoader Loader(StateDictNaming naming, IReadOnlyList<string> ignoredPrefixes, DecoupledNetwork network)
    {
        Func<string, string?> map = naming switch
        {
            StateDictNaming.DecouplingRelease => DecouplingReleaseNaming.Map,
            StateDictNaming.NetworkSlimmingVgg => key => key.StartsWith("feature.", StringComparison.Ordinal) ? "features." + key["feature.".Length..] : key,
            _ => key => key,
        };
        var ignored = naming == StateDictNaming.TorchvisionVgg ? [.. ignoredPrefixes, "classifier."] : ignoredPrefixes.ToList();
        // Layers whose source entries are skipped keep their initialisation: their target keys are optional.
        var optionalTargets = ignored.Select(p => map(p) ?? p).ToList();
        HashSet<string> networkKeys;
        using (NewDisposeScope())
        {
            networkKeys = network.state_dict().Keys.ToHashSet(StringComparer.Ordinal);
        }

        return new PretrainedWeightsLoader
        {
            MapSourceKey = map,
            IgnoredSourcePrefixes = ignored,
            IsOptionalTargetKey = key => IsDecouplingKey(key) || optionalTargets.Any(p => key.StartsWith(p, StringComparison.Ordinal)),
            MayLackTarget = naming == StateDictNaming.DecouplingRelease ? key => DecouplingReleaseNaming.IsGateOfUngatedConv(key, networkKeys) : _ => false,
        };
    }
}
