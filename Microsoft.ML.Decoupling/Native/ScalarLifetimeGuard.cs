using System.Runtime;

namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// Keeps the garbage collector from running while TorchSharp code of ours runs a training or attack step. TorchSharp
/// 0.107 passes every numeric argument (<c>t.add_(1)</c>, <c>alpha: lr</c>, <c>x * 0.5</c>) to libtorch as a new
/// finalizable <see cref="TorchSharp.Scalar"/> that nothing references once its handle is read; a collection in that
/// window lets the finalizer free the scalar while libtorch still reads it (dotnet/TorchSharp pull requests 1434 and
/// 1496, open in 0.107). <see cref="RootedScalars"/> covers our own hot sums, but TorchSharp's BatchNorm
/// (<c>num_batches_tracked.add_(1)</c>) and SGD (<c>alpha:</c> on every parameter) make such scalars on every step: the
/// Fashion-MNIST Quickstart once died in its 11th decoupling epoch with "For integral input tensors, argument alpha must
/// not be a floating point number" in BatchNorm's <c>add_(1)</c>, a freed integer scalar read as a double.
/// <para>
/// A step runs inside a no-GC region (<see cref="GC.TryStartNoGCRegion(long)"/>) of <see cref="Budget"/> bytes: no
/// collection, so no scalar made in the step is finalized before the step ends (a step of the Quickstart's network at
/// batch 128 stays far below the budget; <c>ScalarLifetimeGuardTests</c> checks it). Starting the region counts as a
/// blocking collection, one per step, whose pauses the step-time benchmark measures at 0.00–0.43 ms per step of 89–143 ms
/// (BENCHMARKS.md, "The main job in less time"). Steps on several threads share one region (the first starts it, the last ends it); when
/// the process allocates past the budget the runtime ends the region itself and collects as usual, and while steps on
/// several threads keep overlapping no new region starts (starting one may collect, which is unsafe while another thread
/// is in a step): such steps run unguarded, as without the guard. A region that another component started is left alone,
/// and while a step holds ours, another component's <see cref="GC.TryStartNoGCRegion(long)"/> fails.
/// </para>
/// </summary>
internal static class ScalarLifetimeGuard
{
    /// <summary>Managed bytes a guarded step (all threads together) may allocate before the runtime collects anyway.</summary>
    public const long Budget = 32L << 20;

    private static readonly object Gate = new();
    private static int _holders;
    private static bool _ours;

    /// <summary>Enters the guarded section; dispose the result when the step's TorchSharp calls have returned.</summary>
    internal static Section Enter()
    {
        lock (Gate)
        {
            if (_holders++ == 0)
            {
                try
                {
                    _ours = GCSettings.LatencyMode != GCLatencyMode.NoGCRegion && GC.TryStartNoGCRegion(Budget);
                }
                catch (InvalidOperationException)
                {
                    // Another component started a region between the check and the call: leave it to its owner.
                    _ours = false;
                }
                catch (ArgumentOutOfRangeException)
                {
                    // A heap configured smaller than the budget (e.g. a hard limit): the step runs unguarded, as before.
                    _ours = false;
                }
            }
        }

        return new Section(true);
    }

    /// <summary>Whether a guarded section is open (tests).</summary>
    internal static bool IsHeld
    {
        get
        {
            lock (Gate)
            {
                return _holders > 0;
            }
        }
    }

    private static void Exit()
    {
        lock (Gate)
        {
            if (_holders == 0)
            {
                // A copy of a section disposed twice: nothing is held.
                return;
            }

            if (--_holders == 0 && _ours)
            {
                _ours = false;
                // The runtime ends the region itself when the budget ran out, possibly between this check and the call
                // (another thread allocating), and EndNoGCRegion then throws: the region is over either way.
                if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
                {
                    try
                    {
                        GC.EndNoGCRegion();
                    }
                    catch (InvalidOperationException)
                    {
                    }
                }
            }
        }
    }

    /// <summary>One guarded section; <see cref="Dispose"/> leaves it (once).</summary>
    internal struct Section : IDisposable
    {
        private bool _open;

        internal Section(bool open) => _open = open;

        /// <summary>Leaves the section; the last one to leave ends the no-GC region.</summary>
        public void Dispose()
        {
            if (_open)
            {
                _open = false;
                Exit();
            }
        }
    }
}
