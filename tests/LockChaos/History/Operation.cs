namespace LockService.Chaos.History;

/// <summary>
/// An invocation paired with its completion. <see cref="EndT"/> is null when none was recorded (the process died).
/// <see cref="Max"/> and <see cref="Slot"/> are set for a semaphore's operations only.
/// </summary>
public sealed record Operation(
    string Client,
    long Id,
    string Op,
    string? Lock,
    string? Owner,
    long InvokeT,
    long? EndT,
    string Outcome,
    long? Token,
    double? TtlMs,
    string? Detail,
    string? Api = null,
    string? Target = null,
    string? Kind = null,
    int? Max = null,
    int? Slot = null)
{
    /// <summary>
    /// The call could not have waited in a lock's queue: the raw lock API only tries, and a handle acquisition says its
    /// kind ("try") at its invocation. Such a grant was made at some moment of its call, not only at its answer. A
    /// semaphore's acquire (it has a <see cref="Max"/>) does not say whether it waited, so it never counts as a try.
    /// </summary>
    public bool IsTry => Max is null && (Api != HistoryEvent.Apis.Handle || Kind == "try");

    public bool Ok => Outcome == HistoryEvent.Phases.Ok;

    public bool Unknown => Outcome == HistoryEvent.Phases.Unknown;

    /// <summary>Pairs the events of a history; an invocation without completion counts as unknown.</summary>
    public static List<Operation> FromEvents(IEnumerable<HistoryEvent> events)
    {
        var operations = new List<Operation>();
        foreach (var group in events.GroupBy(e => (e.Client, e.Id)))
        {
            var invoke = group.FirstOrDefault(e => e.Phase == HistoryEvent.Phases.Invoke);
            if (invoke is null)
            {
                continue;
            }

            var end = group.LastOrDefault(e => e.Phase != HistoryEvent.Phases.Invoke);
            operations.Add(new Operation(
                invoke.Client,
                invoke.Id,
                invoke.Op,
                invoke.Lock,
                invoke.Owner,
                invoke.T,
                end?.T,
                end?.Phase ?? HistoryEvent.Phases.Unknown,
                // The token the caller sent, if it sent one: a release that hands the lock to a waiter answers with the
                // waiter's new token, but the operation is about the caller's. An acquire learns its token from the answer.
                invoke.Token ?? end?.Token,
                invoke.TtlMs,
                end?.Detail ?? invoke.Detail,
                invoke.Api,
                invoke.Target,
                invoke.Detail,
                invoke.Max,
                // As with the token: an acquire learns its slot from the answer, every later call names it.
                invoke.Slot ?? end?.Slot));
        }

        return operations;
    }
}
