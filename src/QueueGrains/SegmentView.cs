namespace LockService.Queues;

/// <summary>
/// What a queue's directory knows of one live segment, in memory: enough to route a claim without asking every
/// segment. The pending count is an estimate that errs towards asking: a claim that finds nothing costs one call, and
/// the segment's answer (or its notice when a claim expires) sets it right again.
/// </summary>
internal sealed class SegmentView(long number)
{
    public long Number { get; } = number;

    /// <summary>Tasks pending there, as last heard, less the claims sent there since.</summary>
    public int Pending { get; set; }

    /// <summary>Claim calls to it that have not answered yet.</summary>
    public int InFlight { get; set; }

    /// <summary>
    /// When its earliest claim ends, as last heard (an extension may have moved it later). From then on a claim asks
    /// the segment even if no task was pending: expiry is judged on every claim, not when a timer gets round to it.
    /// </summary>
    public DateTimeOffset? NextExpiry { get; set; }

    /// <summary>Full: new tasks go to a newer segment.</summary>
    public bool Full { get; set; }

    /// <summary>Whether a claim should ask this segment at <paramref name="now"/>: a task is pending there, or may be since a claim ended.</summary>
    public bool MayHavePending(DateTimeOffset now) => Pending > 0 || NextExpiry <= now;

    /// <summary>Takes in the segment's own count: exact when no other claim is on its way there, a lower bound otherwise.</summary>
    public void Heard(int pending, DateTimeOffset? nextExpiry)
    {
        if (InFlight == 0)
        {
            Pending = pending;
            NextExpiry = nextExpiry;
            return;
        }

        // Other answers are on their way and may be newer: keep what makes a claim ask rather than skip.
        Pending = Math.Min(Pending, pending);
        if (nextExpiry is { } next && (NextExpiry is null || next < NextExpiry))
        {
            NextExpiry = next;
        }
    }
}
