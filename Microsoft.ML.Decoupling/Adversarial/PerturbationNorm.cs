namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>The norm that bounds an attack's perturbation δ = x' − x.</summary>
public enum PerturbationNorm
{
    /// <summary>‖δ‖∞ ≤ ε: every pixel moves by at most ε; steps follow the sign of the gradient.</summary>
    LInfinity,

    /// <summary>‖δ‖₂ ≤ ε over the whole image; steps follow the L2-normalised gradient.</summary>
    L2,
}
