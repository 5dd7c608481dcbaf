namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// Lets the rows of a transformer's output be read, from any number of threads, until the transformer is disposed: each
/// read (a cursor's MoveNext, a value getter) holds a shared lock; <see cref="Close"/> waits for the reads in flight to
/// finish, and every later read throws <see cref="ObjectDisposedException"/> naming the owner, instead of reaching the
/// released ONNX Runtime session (a NullReferenceException inside ML.NET).
/// </summary>
internal sealed class RowReadGuard(object owner)
{
    // Recursion: a read may start another read of the same output (a getter that reads a second cursor).
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.SupportsRecursion);
    private bool _closed;

    /// <summary>Starts a read; throws <see cref="ObjectDisposedException"/> once closed. Pair with <see cref="Exit"/>.</summary>
    public void Enter()
    {
        _lock.EnterReadLock();
        if (_closed)
        {
            _lock.ExitReadLock();
            throw new ObjectDisposedException(owner.GetType().FullName, "The model was disposed; a view it transformed cannot be read any more.");
        }
    }

    /// <summary>Ends a read started by <see cref="Enter"/>.</summary>
    public void Exit() => _lock.ExitReadLock();

    /// <summary>Runs <paramref name="release"/> while no read is in flight, whether or not the guard is closed (a cursor's Dispose).</summary>
    public void RunBetweenReads(Action release)
    {
        _lock.EnterReadLock();
        try
        {
            release();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Waits until no read is in flight and refuses every later one; false when it was already closed.
    /// </summary>
    public bool Close()
    {
        _lock.EnterWriteLock();
        try
        {
            bool wasOpen = !_closed;
            _closed = true;
            return wasOpen;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }
}
