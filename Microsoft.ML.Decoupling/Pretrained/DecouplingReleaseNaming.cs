using System.Text.RegularExpressions;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Pretrained;

/// <summary>
/// Key names of the paper authors' gated ResNets (<see cref="StateDictNaming.DecouplingRelease"/>): their
/// <c>AD_Block</c> before conv k of a block holds the gate's two linear layers (<c>fc1</c>, <c>fc2</c>: our squeeze and
/// excite) and the layer's path classifier (<c>fc_class</c>, no bias); <c>ad_block3</c> gates the projection shortcut of
/// the ImageNet ResNets.
/// </summary>
internal static partial class DecouplingReleaseNaming
{
    /// <summary>Our key for one of theirs; every key that is not a gate's is its own.</summary>
    public static string Map(string key)
    {
        var match = GateKey().Match(key);
        if (!match.Success)
        {
            return key;
        }

        string conv = match.Groups["block"].Value == "3" ? "downsample_0" : $"conv{match.Groups["block"].Value}";
        string layer = $"{match.Groups["stage"].Value}_{match.Groups["index"].Value}_{conv}";
        string tensor = match.Groups["tensor"].Value;
        return match.Groups["part"].Value switch
        {
            "fc1" => $"{NetworkBuilder.GatesModuleName}.{layer}.squeeze.{tensor}",
            "fc2" => $"{NetworkBuilder.GatesModuleName}.{layer}.excite.{tensor}",
            _ => $"{NetworkBuilder.PathClassifiersModuleName}.{layer}.{tensor}",
        };
    }

    /// <summary>
    /// Whether <paramref name="key"/> is a gate entry of a conv that the network has but does not gate (the release's gate
    /// on the last conv), given the network's state-dict keys.
    /// </summary>
    public static bool IsGateOfUngatedConv(string key, IReadOnlySet<string> networkKeys)
    {
        var match = GateKey().Match(key);
        if (!match.Success)
        {
            return false;
        }

        string conv = match.Groups["block"].Value == "3" ? "downsample.0" : $"conv{match.Groups["block"].Value}";
        return networkKeys.Contains($"{match.Groups["stage"].Value}.{match.Groups["index"].Value}.{conv}.weight");
    }

    [GeneratedRegex(@"^(?<stage>layer\d+)\.(?<index>\d+)\.ad_block(?<block>[123])\.(?<part>fc1|fc2|fc_class)\.(?<tensor>weight|bias)$")]
    private static partial Regex GateKey();
}
