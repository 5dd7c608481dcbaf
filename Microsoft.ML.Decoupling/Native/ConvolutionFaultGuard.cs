namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// Decides, once per process, whether libtorch's CPU convolutions can be trusted and, if not, switches to a configuration
/// that passes the check. Kept apart from the process-wide state (<see cref="ConvolutionSelfCheck"/>) so that tests can
/// inject a faulty check, a switch and a cache folder.
/// </summary>
/// <param name="check">Runs the comparison; returns what differs from the reference.</param>
/// <param name="disableOneDnn">Turns oneDNN off for the process; false when that is impossible.</param>
/// <param name="cache">This machine's stored verdict.</param>
/// <param name="restriction">
/// The non-default convolution configuration this process runs with, e.g. "DNNL_MAX_CPU_ISA=SSE41" (ours or the user's)
/// or "oneDNN switched off", or null for libtorch's defaults. Only a check of the defaults is cached.
/// </param>
/// <param name="restrictionIsOurs">True when the restriction was set by this package from a cached faulty verdict.</param>
internal sealed class ConvolutionFaultGuard(
    Func<IReadOnlyList<ConvolutionCheckFailure>> check,
    Func<bool> disableOneDnn,
    ConvolutionVerdictCache cache,
    string? restriction,
    bool restrictionIsOurs)
{
    /// <summary>Where the fault and its workaround are described for users.</summary>
    internal const string ReadmeSection = "README, 'CPU convolution fault'";

    /// <summary>Runs the decision for <paramref name="mode"/>.</summary>
    /// <exception cref="InvalidOperationException">The convolutions are wrong and no configuration tried passes the check.</exception>
    public ConvolutionSelfCheckResult Ensure(ConvolutionSelfCheckMode mode)
    {
        if (mode == ConvolutionSelfCheckMode.Skip)
        {
            return new(ConvolutionSelfCheckVerdict.Skipped, "CPU convolution self-check skipped (ConvolutionSelfCheckMode.Skip).", IsWarning: false);
        }

        var cached = cache.Read();
        // The cached verdict is about libtorch's defaults: a process under another configuration (a user's instruction-set
        // limit, oneDNN off) runs other kernels, so it is checked (under a second) rather than trusted on that verdict.
        if (mode == ConvolutionSelfCheckMode.Auto && cached is { Faulty: false } && restriction is null)
        {
            return new(ConvolutionSelfCheckVerdict.PassedEarlier,
                $"CPU convolution self-check passed on this machine on {cached.CheckedUtc:yyyy-MM-dd} (cached in '{cache.FilePath}').", IsWarning: false);
        }

        var failures = check();
        if (failures.Count == 0)
        {
            if (restriction is null)
            {
                cache.Write(faulty: false, "all cases passed");
                return new(ConvolutionSelfCheckVerdict.Passed, $"CPU convolution self-check passed ({ConvolutionCheck.Cases.Length} convolutions, forward and backward).", IsWarning: false);
            }

            // A restricted configuration passing says nothing about the defaults: the stored verdict stays as it is.
            return restrictionIsOurs
                ? new(ConvolutionSelfCheckVerdict.FaultAvoided,
                    $"libtorch's CPU convolutions are wrong on this machine (found {cached?.CheckedUtc:yyyy-MM-dd}: {cached?.Details}). " +
                    $"This process runs with {restriction}, which passes the self-check; convolutions are slower (see {ReadmeSection}). " +
                    $"Delete '{cache.FilePath}' or start with {ConvolutionSelfCheck.ModeVariable}=force to test the full instruction set again.",
                    IsWarning: true)
                : new(ConvolutionSelfCheckVerdict.Passed,
                    $"CPU convolution self-check passed with {restriction} (set outside this package's self-check).", IsWarning: false);
        }

        string found = Describe(failures);
        if (restriction is null)
        {
            cache.Write(faulty: true, found);
        }

        if (!disableOneDnn())
        {
            throw new InvalidOperationException(
                $"libtorch's CPU convolutions are wrong on this machine: {found}. oneDNN cannot be switched off from this process on this platform; " +
                $"start the process with the environment variable DNNL_MAX_CPU_ISA=SSE41 (see {ReadmeSection}).");
        }

        var remaining = check();
        if (remaining.Count > 0)
        {
            throw new InvalidOperationException(
                $"libtorch's CPU convolutions are wrong on this machine: {found}; with oneDNN switched off they are still wrong: {Describe(remaining)}. " +
                $"Training on this CPU would give wrong results (see {ReadmeSection}).");
        }

        string next = restriction is null
            ? $"Later processes on this machine start with DNNL_MAX_CPU_ISA={ConvolutionSelfCheck.SafeInstructionSet} (cheaper; verdict cached in '{cache.FilePath}')."
            : $"{restriction} did not avoid the fault.";
        return new(ConvolutionSelfCheckVerdict.FaultAvoided,
            $"libtorch's CPU convolutions are wrong on this machine: {found}. oneDNN is now switched off in this process, so convolutions run on libtorch's " +
            $"own kernels (correct, slower; see {ReadmeSection}). {next}",
            IsWarning: true);
    }

    private static string Describe(IReadOnlyList<ConvolutionCheckFailure> failures)
    {
        int cases = failures.Select(f => f.Case).Distinct().Count();
        return $"{cases} of {ConvolutionCheck.Cases.Length} checked convolutions differ from a float64 reference, e.g. the {failures[0]}";
    }
}
