using System.Diagnostics;
using LockService.Chaos.History;

namespace LockService.Tests.Chaos;

/// <summary>The chaos checker must catch each kind of violation in a history made to contain exactly that one.</summary>
public sealed class HistoryCheckerTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(8);
    private long _ids;

    private readonly List<HistoryEvent> _events = [];

    [Fact]
    public void A_clean_history_has_no_violations()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 3000);
        Op("a", "fenced-write", "L", "a:1", token: 1, at: 10, took: 2);
        Op("a", "refresh", "L", "a:1", token: 1, at: 1000, took: 5, ttl: 3000);
        Op("a", "release", "L", "a:1", token: 1, at: 2000, took: 5);
        Op("b", "acquire", "L", "b:1", token: 2, at: 2100, took: 5, ttl: 3000);
        Op("b", "acquire", "L", "b:1", token: 2, at: 2200, took: 5, ttl: 3000); // renewal: same owner, same token
        Op("c", "acquire", "L", "c:1", token: null, at: 2300, took: 5, ttl: 3000, outcome: "fail");

        var report = Check(Final(("L", 2)), log: [("L", 1, 1)]);

        Assert.Equal(0, report.Failures);
        Assert.Equal(3, report.Grants);
    }

    [Fact]
    public void C1_one_token_granted_to_two_owners()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 100);
        Op("b", "acquire", "L", "b:1", token: 1, at: 500, took: 5, ttl: 100);
        var report = Check(Final(("L", 1)));
        Assert.Equal(1, report.C1);
    }

    [Fact]
    public void C2_a_later_grant_with_a_smaller_token()
    {
        Op("a", "acquire", "L", "a:1", token: 5, at: 0, took: 5, ttl: 100);
        Op("b", "acquire", "L", "b:1", token: 4, at: 500, took: 5, ttl: 100);
        var report = Check(Final(("L", 5)));
        Assert.Equal(1, report.C2);
    }

    [Fact]
    public void C3_two_holders_at_once()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 3000);
        Op("b", "acquire", "L", "b:1", token: 2, at: 1000, took: 5, ttl: 3000);
        var report = Check(Final(("L", 2)));
        Assert.Equal(1, report.C3);
        Assert.Equal(0, report.C1 + report.C2);
    }

    [Fact]
    public void C3_is_only_measured_when_the_test_says_so()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 3000);
        Op("b", "acquire", "L", "b:1", token: 2, at: 1000, took: 5, ttl: 3000);
        var report = HistoryChecker.Check(_events, Final(("L", 2)), Bound, measureC3Only: true);
        Assert.Equal(1, report.C3);
        Assert.Equal(0, report.Failures);
        Assert.InRange(report.MaxOverlapMs, 1900, 2100);
    }

    [Fact]
    public void C3_a_hold_ends_at_its_last_successful_invoke_plus_ttl_and_at_release()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 1000);
        Op("a", "refresh", "L", "a:1", token: 1, at: 5000, took: 5, ttl: 1000, outcome: "unknown");
        Op("b", "acquire", "L", "b:1", token: 2, at: 1001, took: 5, ttl: 1000);
        Op("b", "release", "L", "b:1", token: 2, at: 1500, took: 5);
        Op("c", "acquire", "L", "c:1", token: 3, at: 1600, took: 5, ttl: 1000);
        Assert.Equal(0, Check(Final(("L", 3))).Failures);
    }

    [Fact]
    public void C3_a_grant_answered_after_its_lease_ran_out_is_no_hold()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 4000, ttl: 3000);
        Op("b", "acquire", "L", "b:1", token: 2, at: 3500, took: 5, ttl: 3000);
        Assert.Equal(0, Check(Final(("L", 2))).C3);
    }

    [Fact]
    public void C4_the_fenced_resource_accepting_a_smaller_token()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 100);
        var report = Check(Final(("L", 1)), log: [("L", 1, 2), ("L", 2, 1)]);
        Assert.Equal(1, report.C4);
    }

    [Fact]
    public void C4_a_write_accepted_after_a_higher_token_had_written_fires_though_the_resources_log_looks_clean()
    {
        // The resource's own log keeps only what it accepted, in its own order, so it cannot show this: judge the
        // attempts the clients recorded. b's write with token 2 was accepted and answered before a's with token 1 began.
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 3000);
        Op("b", "acquire", "L", "b:1", token: 2, at: 100, took: 5, ttl: 3000);
        Op("b", "fenced-write", "L", "b:1", token: 2, at: 200, took: 5);
        Op("a", "fenced-write", "L", "a:1", token: 1, at: 300, took: 5);

        var report = Check(Final(("L", 2)), log: [("L", 1, 2)]);

        Assert.Equal(1, report.C4);
        Assert.Contains(report.Violations, v => v.StartsWith("C4: lock L: a:1 wrote with token 1", StringComparison.Ordinal));
    }

    [Fact]
    public void C4_refused_stale_writes_and_overlapping_writes_are_no_violation()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 3000);
        Op("b", "acquire", "L", "b:1", token: 2, at: 100, took: 5, ttl: 3000);
        Op("b", "fenced-write", "L", "b:1", token: 2, at: 200, took: 50);
        Op("a", "fenced-write", "L", "a:1", token: 1, at: 210, took: 5); // ran while b's was in flight: either order is possible
        Op("a", "fenced-write", "L", "a:1", token: 1, at: 300, took: 5, outcome: "fail", detail: "stale");
        Op("b", "fenced-write", "L", "b:1", token: 2, at: 400, took: 5);

        var report = Check(Final(("L", 2)), log: [("L", 1, 1), ("L", 2, 2), ("L", 3, 2)]);

        Assert.Equal(0, report.C4);
        Assert.Equal(1, report.StaleWritesRejected);
    }

    [Fact]
    public void C5_a_stored_token_that_no_client_saw_or_could_have_seen()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 100);
        Op("b", "acquire", "L", "b:1", token: null, at: 500, took: 5, ttl: 100, outcome: "unknown");
        Assert.Equal(0, Check(Final(("L", 2))).C5);
        Assert.Equal(1, Check(Final(("L", 3))).C5);
        Assert.Equal(1, Check(Final(("L", 0))).C5);
    }

    [Fact]
    public void C6_no_grant_of_any_lock_within_the_bound_after_a_fault()
    {
        Fault(at: 0, ended: 1000);
        Op("a", "acquire", "L", "a:1", token: 1, at: 9500, took: 5, ttl: 100);
        var report = Check(Final(("L", 1)));
        Assert.Equal(1, report.C6);
    }

    [Fact]
    public void C6_one_lock_refusing_clients_past_the_bound_while_other_locks_are_granted()
    {
        Fault(at: 0, ended: 1000);
        GrantedEveryHalfSecond("M", from: 1100, until: 12000);

        Op("a", "acquire", "L", "a:1", token: null, at: 1200, took: 5000, ttl: 3000, outcome: "unknown");
        Op("b", "acquire", "L", "b:1", token: null, at: 9500, took: 5, ttl: 3000, outcome: "fail");
        Op("c", "acquire", "L", "c:1", token: 1, at: 10000, took: 5, ttl: 3000);

        var report = Check(Final(("L", 1), ("M", 11600)));

        Assert.Equal(1, report.C6);
        Assert.InRange(report.MaxRecoveryMs, 8400, 8600);
    }

    [Fact]
    public void C6_a_lock_nobody_asked_for_is_not_counted_as_down()
    {
        Fault(at: 0, ended: 1000);
        GrantedEveryHalfSecond("M", from: 1100, until: 16000);

        Op("a", "acquire", "L", "a:1", token: null, at: 1500, took: 5, ttl: 3000, outcome: "fail");
        Op("b", "acquire", "L", "b:1", token: 1, at: 15000, took: 5, ttl: 3000);

        var report = Check(Final(("L", 1), ("M", 15600)));

        Assert.Equal(0, report.C6);
        Assert.InRange(report.MaxRecoveryMs, 400, 600);
    }

    private CheckReport Check(FinalState final, List<(string, long, long)>? log = null) =>
        HistoryChecker.Check(_events, log is null ? final : final with { FencedLog = log }, Bound);

    private static FinalState Final(params (string Lock, long Token)[] stored) =>
        new(stored.ToDictionary(s => s.Lock, s => s.Token), [], new Dictionary<string, long>());

    private void Op(string client, string op, string lockName, string owner, long? token, long at, long took, double? ttl = null, string outcome = "ok", string? detail = null)
    {
        var id = ++_ids;
        _events.Add(new HistoryEvent { Client = client, Id = id, Op = op, Phase = "invoke", Lock = lockName, Owner = owner, TtlMs = ttl, T = at * Ms, Token = op == "acquire" ? null : token });
        _events.Add(new HistoryEvent { Client = client, Id = id, Op = op, Phase = outcome, Lock = lockName, Owner = owner, Token = token, T = (at + took) * Ms, Detail = detail });
    }

    /// <summary>Another lock that the service keeps granting all along (token = grant time): the fault did not stop the service.</summary>
    private void GrantedEveryHalfSecond(string lockName, long from, long until)
    {
        for (var at = from; at < until; at += 500)
        {
            Op("m", "acquire", lockName, $"m:{at}", token: at, at: at, took: 5, ttl: 100);
        }
    }

    private void Fault(long at, long ended)
    {
        var id = ++_ids;
        _events.Add(new HistoryEvent { Client = "nemesis", Id = id, Op = "fault", Phase = "invoke", T = at * Ms, Detail = "test fault" });
        _events.Add(new HistoryEvent { Client = "nemesis", Id = id, Op = "fault", Phase = "ok", T = ended * Ms, Detail = "test fault" });
    }
}
