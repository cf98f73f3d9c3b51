namespace LockService.Leases;

/// <summary>
/// Changes to one <see cref="DurableRecord{TState}"/> from calls that interleave (a reentrant grain), written together:
/// while one write is in flight, the changes that arrive meanwhile queue up and the next write carries all of them. So
/// concurrent claims on one work-queue segment share one storage write instead of waiting for one write each.
/// </summary>
/// <remarks>
/// Each change is applied, in arrival order, to a copy of the state storage has accepted; a change checks before it
/// mutates, so one that throws (bad input, a lost lease) leaves the copy as it was and only its own caller hears the
/// exception. No caller learns its result before storage has accepted the write that carries it; when that write
/// fails, every change in it fails closed with the same <see cref="LockStorageException"/>. Only one write is ever in
/// flight, as <see cref="DurableRecord{TState}"/> requires. Runs on the grain's scheduler, so it needs no locks.
/// </remarks>
/// <param name="record">The record the changes are written to.</param>
/// <param name="copy">Copies a state, so changes are applied to a copy of the accepted one.</param>
/// <param name="timeSource">The time each batch of changes is judged at: the grain's lease clock, read once per batch.</param>
internal sealed class CoalescingWriter<TState>(DurableRecord<TState> record, Func<TState, TState> copy, Func<DateTimeOffset> timeSource)
    where TState : class, new()
{
    private List<IPendingChange> _queued = [];
    private bool _writing;

    /// <summary>Whether a write is in flight or changes wait for one.</summary>
    public bool Busy => _writing || _queued.Count > 0;

    /// <summary>
    /// Applies <paramref name="change"/> to the next state and returns its result once that state is durable. The
    /// change returns whether it changed anything; a batch in which nothing changed is not written.
    /// </summary>
    public Task<TResult> ChangeAsync<TResult>(Func<TState, DateTimeOffset, (TResult Result, bool Changed)> change, string operation)
    {
        var pending = new PendingChange<TResult>(change, operation);
        _queued.Add(pending);
        if (!_writing)
        {
            _ = WriteQueuedAsync();
        }

        return pending.Outcome.Task;
    }

    private async Task WriteQueuedAsync()
    {
        _writing = true;
        try
        {
            while (_queued.Count > 0)
            {
                var batch = _queued;
                _queued = [];
                var next = copy(record.State);
                var at = timeSource();
                var applied = new List<IPendingChange>(batch.Count);
                var changed = false;
                foreach (var pending in batch)
                {
                    if (pending.TryApply(next, at, out var didChange))
                    {
                        applied.Add(pending);
                        changed |= didChange;
                    }
                }

                if (!changed)
                {
                    applied.ForEach(pending => pending.Deliver());
                    continue;
                }

                try
                {
                    await record.WriteAsync(next, applied.Count == 1 ? applied[0].Operation : $"{applied[0].Operation} (with {applied.Count - 1} other change(s))");
                }
                catch (LockStorageException exception)
                {
                    applied.ForEach(pending => pending.Fail(exception));
                    continue;
                }

                applied.ForEach(pending => pending.Deliver());
            }
        }
        finally
        {
            _writing = false;
        }
    }

    private interface IPendingChange
    {
        string Operation { get; }

        bool TryApply(TState next, DateTimeOffset now, out bool changed);

        void Deliver();

        void Fail(Exception exception);
    }

    private sealed class PendingChange<TResult>(Func<TState, DateTimeOffset, (TResult Result, bool Changed)> change, string operation) : IPendingChange
    {
        private TResult _result = default!;

        public TaskCompletionSource<TResult> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Operation => operation;

        public bool TryApply(TState next, DateTimeOffset now, out bool changed)
        {
            try
            {
                (_result, changed) = change(next, now);
                return true;
            }
            catch (Exception exception)
            {
                changed = false;
                Outcome.TrySetException(exception);
                return false;
            }
        }

        public void Deliver() => Outcome.TrySetResult(_result);

        public void Fail(Exception exception) => Outcome.TrySetException(exception);
    }
}
