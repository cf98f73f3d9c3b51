using System.Text;

namespace LockService.Chaos.History;

/// <summary>What the checker found in one test's history.</summary>
public sealed class CheckReport
{
    public int Operations { get; set; }

    public int Grants { get; set; }

    /// <summary>Of <see cref="Grants"/>, those of semaphores (judged by C3 against their limit, by C4 per slot).</summary>
    public int SemaphoreGrants { get; set; }

    public int Faults { get; set; }

    public int C1 { get; set; }

    public int C2 { get; set; }

    public int C3 { get; set; }

    public int C4 { get; set; }

    public int C5 { get; set; }

    public int C6 { get; set; }

    /// <summary>Lock handles that still believed they held a lock after another holder had been granted it.</summary>
    public int C7 { get; set; }

    /// <summary>Longest time a handle went on believing after another holder's grant (C7).</summary>
    public double MaxBeliefOverrunMs { get; set; }

    /// <summary>Grants made through the client library's lock handles (the rest are raw grain calls).</summary>
    public int HandleGrants { get; set; }

    /// <summary>How often a handle's <c>HandleLostToken</c> fired.</summary>
    public int HandlesLost { get; set; }

    /// <summary>Longest overlap of two holders seen (for C3 under clock skew, where it is measured, not forbidden).</summary>
    public double MaxOverlapMs { get; set; }

    public double MaxRecoveryMs { get; set; }

    public int StaleWritesRejected { get; set; }

    public int FencedWritesAccepted { get; set; }

    /// <summary>Grants, refreshes and releases of stale activations that storage refused (from the silo logs).</summary>
    public int StaleSiloWritesRefused { get; set; }

    public long UnfencedLostUpdates { get; set; }

    public List<string> Violations { get; } = [];

    /// <summary>C3 is judged unless the test measures it (clock skew), in which case only its size is reported.</summary>
    public bool C3Measured { get; set; }

    /// <summary>The clock skew C3 was judged with: each hold counted that much shorter (0 when the clocks agree).</summary>
    public double C3SkewAllowanceMs { get; set; }

    /// <summary>
    /// C7 is judged unless the test measures it: where C3 is measured (a handle trusts the same leases C3 judges), and
    /// where clock skew exceeds the handle's safety margin (the loss signal absorbs no more than that margin).
    /// </summary>
    public bool C7Measured { get; set; }

    /// <summary>Failures a test's own nemesis found (the overload test's response time-outs, say), on top of C1–C7.</summary>
    public List<string> OtherFailures { get; } = [];

    /// <summary>Figures a test's nemesis measured, printed with the report.</summary>
    public List<string> Notes { get; } = [];

    public int Failures => C1 + C2 + (C3Measured ? 0 : C3) + (C7Measured ? 0 : C7) + C4 + C5 + C6 + OtherFailures.Count;

    public void Violation(string check, string message)
    {
        if (Violations.Count < 50)
        {
            Violations.Add($"{check}: {message}");
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"operations {Operations}, grants {Grants} (semaphores {SemaphoreGrants}), faults {Faults}, violations C1 {C1} C2 {C2} C3 {C3}{(C3Measured ? $" (measured: max overlap {MaxOverlapMs:0} ms)" : C3SkewAllowanceMs > 0 ? $" (leases judged {C3SkewAllowanceMs / 1000:0.#} s shorter for the skew)" : "")} C4 {C4} C5 {C5} C6 {C6} C7 {C7}{(C7 > 0 ? $" ({(C7Measured ? "measured: " : "")}max {MaxBeliefOverrunMs:0} ms)" : "")}, ");
        text.Append($"handle grants {HandleGrants}, handles lost {HandlesLost}, ");
        text.Append($"max recovery {MaxRecoveryMs / 1000:0.0} s, fenced writes accepted {FencedWritesAccepted}, stale rejected {StaleWritesRejected}, stale silo writes refused by storage {StaleSiloWritesRefused}, unfenced lost updates {UnfencedLostUpdates}");
        foreach (var note in Notes)
        {
            text.Append($"; {note}");
        }

        foreach (var failure in OtherFailures)
        {
            text.Append($"; FAILED: {failure}");
        }
        return text.ToString();
    }
}
