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

    /// <summary>Full: new tasks go to a newer segment.</summary>
    public bool Full { get; set; }

    /// <summary>Takes in the segment's own count: exact when no other claim is on its way there, a lower bound otherwise.</summary>
    public void Heard(int pending) => Pending = InFlight == 0 ? pending : Math.Min(Pending, pending);
}
