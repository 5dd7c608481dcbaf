using Microsoft.ML.Decoupling.Adversarial;

namespace AdversarialDetection;

/// <summary>The attacks of the protocol, by command-line name. Budgets are for pixels in [0, 1].</summary>
internal static class AttackCatalog
{
    /// <summary>The command-line names of the attacks.</summary>
    public static readonly string[] Names = ["ifgsm", "pgd-linf", "pgd-l2", "fgsm"];

    public static AdversarialAttack Create(string name) => name switch
    {
        // Wang et al. (CVPR 2018) and the paper: targeted iterative FGSM, 10 steps of 0.01 (ε = 0.1).
        "ifgsm" => new IterativeFastGradientSignMethod(steps: 10, stepSize: 0.01),
        // Madry et al.: random start, 10 steps of 2.5·ε/10, untargeted.
        "pgd-linf" => new ProjectedGradientDescent(PerturbationNorm.LInfinity, 0.1, steps: 10, stepSize: 0.025),
        "pgd-l2" => new ProjectedGradientDescent(PerturbationNorm.L2, 1.5, steps: 10, stepSize: 0.375),
        "fgsm" => new FastGradientSignMethod(0.1),
        _ => throw new ArgumentException($"Unknown attack '{name}'; known: {string.Join(", ", Names)}."),
    };
}
