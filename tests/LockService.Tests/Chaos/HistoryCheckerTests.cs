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
    public void C3_under_a_known_skew_judges_each_hold_that_much_shorter()
    {
        // The clock-skew-small case: a's 10 s lease, cut short by a silo 5 s ahead, is granted again at 6 s while a's
        // late renewal waits; a learns it at 6.01 s. Within the 5 s the skew may take, beyond it a violation.
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 10_000);
        Op("b", "acquire", "L", "b:1", token: 2, at: 4000, took: 2000, ttl: 10_000);
        Op("a", "refresh", "L", "a:1", token: 1, at: 4300, took: 1710, ttl: 10_000, outcome: "fail");
        Op("a", "release", "L", "a:1", token: 1, at: 6010, took: 5);

        Assert.Equal(1, Check(Final(("L", 2))).C3);
        var withinSkew = HistoryChecker.Check(_events, Final(("L", 2)), Bound, clockSkewAllowance: TimeSpan.FromSeconds(5));
        Assert.Equal(0, withinSkew.C3);
        var beyondSkew = HistoryChecker.Check(_events, Final(("L", 2)), Bound, clockSkewAllowance: TimeSpan.FromSeconds(3));
        Assert.Equal(1, beyondSkew.C3);
        Assert.Equal(1, beyondSkew.Failures);
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
    public void C3_a_release_that_hands_the_lock_to_a_waiter_ends_the_releasers_hold_though_it_answers_the_waiters_token()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 3000);
        ReleaseHandingOver("a", "L", "a:1", token: 1, nextToken: 2, at: 500);
        Op("w", "acquire", "L", "w:1", token: 2, at: 100, took: 410, ttl: 3000, api: "handle"); // waited, granted by the handoff
        Assert.Equal(0, Check(Final(("L", 2))).Failures);
    }

    [Fact]
    public void C3_a_grant_answered_after_its_lease_ran_out_is_no_hold()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 4000, ttl: 3000);
        Op("b", "acquire", "L", "b:1", token: 2, at: 3500, took: 5, ttl: 3000);
        Assert.Equal(0, Check(Final(("L", 2))).C3);
    }

    [Fact]
    public void C3_a_semaphore_with_as_many_overlapping_holds_as_its_limit_is_no_violation()
    {
        // max 2: a and b hold together, c is granted only once a released, d once b's lease ran out.
        Op("a", "acquire", "S", "a:1", token: 1, at: 0, took: 5, ttl: 3000, max: 2, slot: 0);
        Op("b", "acquire", "S", "b:1", token: 2, at: 100, took: 5, ttl: 1000, max: 2, slot: 1);
        Op("a", "release", "S", "a:1", token: 1, at: 500, took: 5, slot: 0);
        Op("c", "acquire", "S", "c:1", token: 3, at: 600, took: 5, ttl: 3000, max: 2, slot: 0);
        Op("d", "acquire", "S", "d:1", token: 4, at: 1200, took: 5, ttl: 3000, max: 2, slot: 1);

        var report = Check(Final(("S", 4)));

        Assert.Equal(0, report.C3);
        Assert.Equal(0, report.Failures);
        Assert.Equal((4, 4), (report.Grants, report.SemaphoreGrants));
    }

    [Fact]
    public void C3_a_semaphore_with_one_overlapping_hold_more_than_its_limit_is_a_violation()
    {
        // max 2: c is granted at 1000 while a and b still hold (b until 1100, a until 3000): three holders for 100 ms.
        Op("a", "acquire", "S", "a:1", token: 1, at: 0, took: 5, ttl: 3000, max: 2, slot: 0);
        Op("b", "acquire", "S", "b:1", token: 2, at: 100, took: 5, ttl: 1000, max: 2, slot: 1);
        Op("c", "acquire", "S", "c:1", token: 3, at: 995, took: 5, ttl: 3000, max: 2, slot: 1);

        var report = Check(Final(("S", 3)));

        Assert.Equal(1, report.C3);
        Assert.Equal(1, report.Failures);
        Assert.InRange(report.MaxOverlapMs, 99, 101);
        Assert.Contains(report.Violations, v => v.StartsWith("C3: semaphore S (max 2): c:1 (token 3) held while 2 others still did", StringComparison.Ordinal));
    }

    [Fact]
    public void C3_each_hold_beyond_a_semaphores_limit_is_one_violation()
    {
        // max 2 and four holders at once: two too many.
        Op("a", "acquire", "S", "a:1", token: 1, at: 0, took: 5, ttl: 3000, max: 2);
        Op("b", "acquire", "S", "b:1", token: 2, at: 100, took: 5, ttl: 3000, max: 2);
        Op("c", "acquire", "S", "c:1", token: 3, at: 200, took: 5, ttl: 3000, max: 2);
        Op("d", "acquire", "S", "d:1", token: 4, at: 300, took: 5, ttl: 3000, max: 2);

        Assert.Equal(3, Check(Final(("S", 4))).C3); // c is one too many; with d there are two too many
    }

    [Fact]
    public void C3_for_a_lock_is_unchanged_beside_a_semaphore_of_the_same_history()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 3000);
        Op("b", "acquire", "L", "b:1", token: 2, at: 1000, took: 5, ttl: 3000);
        Op("c", "acquire", "S", "c:1", token: 1, at: 0, took: 5, ttl: 3000, max: 2);
        Op("d", "acquire", "S", "d:1", token: 2, at: 1000, took: 5, ttl: 3000, max: 2);

        var report = Check(Final(("L", 2), ("S", 2)));

        Assert.Equal(1, report.C3);
        Assert.Contains(report.Violations, v => v.StartsWith("C3: lock L: b:1 (token 2) held while a:1 (token 1) still did", StringComparison.Ordinal));
    }

    [Fact]
    public void C1_and_C2_judge_a_semaphores_tokens_per_name()
    {
        // Concurrent holders of a semaphore still get distinct tokens that follow real time.
        Op("a", "acquire", "S", "a:1", token: 5, at: 0, took: 5, ttl: 3000, max: 2, slot: 0);
        Op("b", "acquire", "S", "b:1", token: 5, at: 100, took: 5, ttl: 3000, max: 2, slot: 1);
        Op("c", "acquire", "S", "c:1", token: 4, at: 5000, took: 5, ttl: 3000, max: 2, slot: 0);

        var report = Check(Final(("S", 5)));

        Assert.Equal(1, report.C1);
        Assert.Equal(2, report.C2); // c's token 4 after 5 was answered, and b's 5 after a's 5 (another owner)
    }

    [Fact]
    public void C4_a_semaphores_slots_are_fenced_each_on_its_own()
    {
        // Slot 1's holder (token 2) writes after slot 0's newer holder (token 3) wrote: legitimate, another slot.
        Op("a", "acquire", "S", "a:1", token: 2, at: 0, took: 5, ttl: 3000, max: 2, slot: 1);
        Op("b", "acquire", "S", "b:1", token: 3, at: 100, took: 5, ttl: 3000, max: 2, slot: 0);
        Op("b", "fenced-write", "S", "b:1", token: 3, at: 200, took: 5, slot: 0);
        Op("a", "fenced-write", "S", "a:1", token: 2, at: 300, took: 5, slot: 1);
        Assert.Equal(0, Check(Final(("S", 3))).C4);

        // Within one slot a smaller token accepted after a larger one's write had been answered is stale (a wrote on
        // after its release, as a paused holder would).
        Op("a", "release", "S", "a:1", token: 2, at: 350, took: 5, slot: 1);
        Op("c", "acquire", "S", "c:1", token: 4, at: 400, took: 5, ttl: 3000, max: 2, slot: 1);
        Op("c", "fenced-write", "S", "c:1", token: 4, at: 500, took: 5, slot: 1);
        Op("a", "fenced-write", "S", "a:1", token: 2, at: 600, took: 5, slot: 1);

        var report = Check(Final(("S", 4)));

        Assert.Equal(1, report.C4);
        Assert.Contains(report.Violations, v => v.StartsWith("C4: semaphore S slot 1: a:1 wrote with token 2", StringComparison.Ordinal));
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

    [Fact]
    public void C6_a_client_that_lost_the_race_to_the_first_grant_after_a_fault_is_not_counted_as_down()
    {
        // Nobody asks for L until long after the fault; then two clients ask at once and one wins (chaos many-locks).
        Fault(at: 0, ended: 1000);
        GrantedEveryHalfSecond("M", from: 1100, until: 12000);

        Op("a", "acquire", "L", "a:1", token: 1, at: 10000, took: 40, ttl: 3000);
        Op("b", "acquire", "L", "b:1", token: null, at: 10010, took: 20, ttl: 3000, outcome: "fail");

        var report = Check(Final(("L", 1), ("M", 11600)));

        Assert.Equal(0, report.C6);
        Assert.InRange(report.MaxRecoveryMs, 0, 600);
    }

    [Fact]
    public void C6_a_client_refused_by_the_first_grant_after_a_fault_is_not_down_even_if_it_asked_first()
    {
        // chaos many-locks-lazy, 2026-12-03: b asked 5 ms before a, a's try was served first, and b's answer named
        // a's new token. The lock was serving; b lost a race, it did not meet an outage.
        Fault(at: 0, ended: 1000);
        GrantedEveryHalfSecond("M", from: 1100, until: 12000);

        Op("b", "acquire", "L", "b:1", token: null, at: 10000, took: 28, ttl: 3000, outcome: "fail", detail: "Busy (token 2)");
        Op("a", "acquire", "L", "a:1", token: 2, at: 10005, took: 22, ttl: 3000);

        var report = Check(Final(("L", 2), ("M", 11600)));

        Assert.Equal(0, report.C6);
    }

    [Fact]
    public void C6_a_refusal_naming_a_holder_from_before_the_fault_still_counts_as_down()
    {
        // The same shape, but b was refused by the lease of the old holder (token 1): the lock was not serving yet.
        Fault(at: 0, ended: 1000);
        GrantedEveryHalfSecond("M", from: 1100, until: 12000);
        Op("h", "acquire", "L", "h:1", token: 1, at: 0, took: 5, ttl: 30000);

        Op("b", "acquire", "L", "b:1", token: null, at: 10000, took: 28, ttl: 3000, outcome: "fail", detail: "Busy (token 1)");
        Op("a", "acquire", "L", "a:1", token: 2, at: 10005, took: 22, ttl: 3000);

        var report = Check(Final(("L", 2), ("M", 11600)));

        Assert.Equal(1, report.C6);
    }

    [Fact]
    public void C6_a_wait_from_before_the_fault_does_not_mark_the_lock_recovered_at_its_call()
    {
        // The waiter asked during the fault and was granted 9 s after it: the lock refused others until then.
        Fault(at: 0, ended: 1000);
        GrantedEveryHalfSecond("M", from: 1100, until: 12000);

        Op("a", "acquire", "L", "a:1", token: 1, at: 500, took: 9500, ttl: 3000);
        Op("b", "acquire", "L", "b:1", token: null, at: 9800, took: 5, ttl: 3000, outcome: "fail");

        var report = Check(Final(("L", 1), ("M", 11600)));

        Assert.Equal(1, report.C6);
    }

    [Fact]
    public void C6_a_wait_asked_after_the_fault_marks_the_lock_recovered_only_at_its_grant()
    {
        // An orphaned grant (its answer was lost) keeps the lock from everyone for a TTL; a waiter behind it is no
        // evidence that the lock served while it waited.
        Fault(at: 0, ended: 1000);
        GrantedEveryHalfSecond("M", from: 1100, until: 12000);

        Op("w", "acquire", "L", "w:1", token: 8, at: 8000, took: 1500, ttl: 3000, api: "handle", kind: "acquire-timeout-or-cancel");
        Op("b", "acquire", "L", "b:1", token: null, at: 9400, took: 5, ttl: 3000, outcome: "fail");

        var report = Check(Final(("L", 8), ("M", 11600)));

        Assert.Equal(1, report.C6);
    }

    [Fact]
    public void C7_a_handle_that_stopped_believing_before_the_next_grant_passes()
    {
        Op("h", "acquire", "L", "h:1", token: 1, at: 0, took: 5, ttl: 3000, api: "handle");
        Op("h", "fenced-write", "L", "h:1", token: 1, at: 100, took: 5);
        Lost("h", "L", "h:1", token: 1, at: 2900);
        Op("h", "release", "L", "h:1", token: 1, at: 3100, took: 5, api: "handle");
        Op("r", "acquire", "L", "r:1", token: 2, at: 3000, took: 5, ttl: 3000); // granted after the loss fired
        Op("r", "release", "L", "r:1", token: 2, at: 3900, took: 5);
        Op("h", "acquire", "L", "h:2", token: 3, at: 4000, took: 5, ttl: 3000, api: "handle");
        Op("h", "release", "L", "h:2", token: 3, at: 4500, took: 5, api: "handle"); // dispose began first
        Op("r", "acquire", "L", "r:2", token: 4, at: 4600, took: 5, ttl: 3000);

        var report = Check(Final(("L", 4)));

        Assert.Equal(0, report.C7);
        Assert.Equal(0, report.Failures);
        Assert.Equal(2, report.HandleGrants);
        Assert.Equal(1, report.HandlesLost);
    }

    [Fact]
    public void C7_a_handle_that_still_believed_after_another_holder_was_granted_fires()
    {
        // The lease ran out on the server at 3000 and r was granted; the handle's loss fired only at 3800.
        Op("h", "acquire", "L", "h:1", token: 1, at: 0, took: 5, ttl: 3000, api: "handle");
        Op("r", "acquire", "L", "r:1", token: 2, at: 3000, took: 5, ttl: 3000);
        Lost("h", "L", "h:1", token: 1, at: 3800);
        Op("h", "release", "L", "h:1", token: 1, at: 3900, took: 5, api: "handle");

        var report = Check(Final(("L", 2)));

        Assert.Equal(1, report.C7);
        Assert.Equal(1, report.Failures);
        Assert.InRange(report.MaxBeliefOverrunMs, 790, 800);
        Assert.Contains(report.Violations, v => v.StartsWith("C7: lock L: handle of h:1 (token 1)", StringComparison.Ordinal));
    }

    [Fact]
    public void C7_is_measured_not_judged_where_C3_is_measured()
    {
        // Clock skew beyond the stated bound: the same overrun is counted and reported, but fails nothing.
        Op("h", "acquire", "L", "h:1", token: 1, at: 0, took: 5, ttl: 3000, api: "handle");
        Op("r", "acquire", "L", "r:1", token: 2, at: 3000, took: 5, ttl: 3000);
        Lost("h", "L", "h:1", token: 1, at: 3800);

        var report = HistoryChecker.Check(_events, Final(("L", 2)), Bound, measureC3Only: true);

        Assert.Equal(1, report.C7);
        Assert.Equal(0, report.Failures);
    }

    [Fact]
    public void C7_alone_can_be_measured_while_C3_is_still_judged()
    {
        // Clock skew within the C3 bound but beyond the handle's safety margin: the handle's overrun is reported and
        // fails nothing, while an overlap of two holders would still fail the test.
        Op("h", "acquire", "L", "h:1", token: 1, at: 0, took: 5, ttl: 3000, api: "handle");
        Op("r", "acquire", "L", "r:1", token: 2, at: 3000, took: 5, ttl: 3000);
        Lost("h", "L", "h:1", token: 1, at: 3800);
        Op("x", "acquire", "M", "x:1", token: 1, at: 0, took: 5, ttl: 3000);
        Op("y", "acquire", "M", "y:1", token: 2, at: 100, took: 5, ttl: 3000);

        var report = HistoryChecker.Check(_events, Final(("L", 2), ("M", 2)), Bound, measureC7Only: true);

        Assert.Equal(1, report.C7);
        Assert.True(report.C7Measured);
        Assert.False(report.C3Measured);
        Assert.Equal(1, report.C3);
        Assert.Equal(1, report.Failures);
    }

    [Fact]
    public void C7_a_handle_with_no_loss_or_dispose_recorded_believes_until_its_workers_last_record()
    {
        Op("h", "acquire", "L", "h:1", token: 1, at: 0, took: 5, ttl: 3000, api: "handle");
        Op("h", "fenced-write", "L", "h:1", token: 1, at: 5000, took: 5); // the process went on, its handle never fired
        Op("r", "acquire", "L", "r:1", token: 2, at: 4000, took: 5, ttl: 3000);

        Assert.Equal(1, Check(Final(("L", 2))).C7);
    }

    [Fact]
    public void C7_does_not_judge_a_handle_whose_client_was_paused_while_it_believed()
    {
        Op("c1-0", "acquire", "L", "c1-0:1", token: 1, at: 0, took: 5, ttl: 3000, api: "handle");
        Fault(at: 500, ended: 7500, target: "c1");
        Op("c0-0", "acquire", "L", "c0-0:1", token: 2, at: 3100, took: 5, ttl: 3000);
        Lost("c1-0", "L", "c1-0:1", token: 1, at: 7600);

        Assert.Equal(0, Check(Final(("L", 2))).C7);
    }

    [Fact]
    public void C7_judges_raw_grain_clients_as_other_holders_but_not_as_handles()
    {
        Op("a", "acquire", "L", "a:1", token: 1, at: 0, took: 5, ttl: 1000); // raw: no belief recorded, not judged
        Op("a", "fenced-write", "L", "a:1", token: 1, at: 5000, took: 5);
        Op("b", "acquire", "L", "b:1", token: 2, at: 1100, took: 5, ttl: 1000);

        Assert.Equal(0, Check(Final(("L", 2))).C7);
    }

    private CheckReport Check(FinalState final, List<(string, long, long)>? log = null) =>
        HistoryChecker.Check(_events, log is null ? final : final with { FencedLog = log }, Bound);

    private static FinalState Final(params (string Lock, long Token)[] stored) =>
        new(stored.ToDictionary(s => s.Lock, s => s.Token), [], new Dictionary<string, long>());

    /// <param name="kind">A handle acquisition's kind ("try", "try-wait", ...), on its invoke as the handle worker records it.</param>
    /// <param name="max">A semaphore's limit, on its acquires (as the semaphore worker records it); null for a lock.</param>
    /// <param name="slot">A semaphore lease's slot: in an acquire's answer, on the invoke of anything else.</param>
    private void Op(string client, string op, string lockName, string owner, long? token, long at, long took, double? ttl = null, string outcome = "ok", string? detail = null, string? api = null, int? max = null, int? slot = null, string? kind = null)
    {
        var id = ++_ids;
        _events.Add(new HistoryEvent { Client = client, Id = id, Op = op, Phase = "invoke", Lock = lockName, Owner = owner, TtlMs = ttl, T = at * Ms, Token = op == "acquire" ? null : token, Api = api, Max = max, Slot = op == "acquire" ? null : slot, Detail = kind });
        _events.Add(new HistoryEvent { Client = client, Id = id, Op = op, Phase = outcome, Lock = lockName, Owner = owner, Token = token, T = (at + took) * Ms, Detail = detail, Slot = slot });
    }

    /// <summary>Another lock that the service keeps granting all along (token = grant time): the fault did not stop the service.</summary>
    private void GrantedEveryHalfSecond(string lockName, long from, long until)
    {
        for (var at = from; at < until; at += 500)
        {
            Op("m", "acquire", lockName, $"m:{at}", token: at, at: at, took: 5, ttl: 100);
        }
    }

    /// <summary>A release as the raw worker records it when the lock goes straight to a waiter: the answer carries the waiter's token.</summary>
    private void ReleaseHandingOver(string client, string lockName, string owner, long token, long nextToken, long at)
    {
        var id = ++_ids;
        _events.Add(new HistoryEvent { Client = client, Id = id, Op = "release", Phase = "invoke", Lock = lockName, Owner = owner, T = at * Ms, Token = token });
        _events.Add(new HistoryEvent { Client = client, Id = id, Op = "release", Phase = "ok", Lock = lockName, Owner = owner, Token = nextToken, T = (at + 5) * Ms });
    }

    /// <summary>A lock handle's HandleLostToken fired, as the handle worker records it.</summary>
    private void Lost(string client, string lockName, string owner, long token, long at) =>
        Op(client, "lost", lockName, owner, token, at, took: 0, api: "handle");

    private void Fault(long at, long ended, string? target = null)
    {
        var id = ++_ids;
        _events.Add(new HistoryEvent { Client = "nemesis", Id = id, Op = "fault", Phase = "invoke", T = at * Ms, Detail = "test fault", Target = target });
        _events.Add(new HistoryEvent { Client = "nemesis", Id = id, Op = "fault", Phase = "ok", T = ended * Ms, Detail = "test fault" });
    }
}
