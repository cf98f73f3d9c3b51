using LockService.Tests.Infrastructure;

namespace LockService.Tests.Grains;

/// <summary>
/// <see cref="ILockWatchGrain"/>: a watcher's long-poll is answered by the change itself (a grant, a release, a lease
/// running out), not by polling; each test would see the unchanged state if it were answered by its timeout instead.
/// </summary>
[Collection(InMemoryClusterCollection.Name)]
public sealed class LockWatchTests(InMemoryClusterFixture fixture)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    // Far longer than any test takes: a watch answered by its timeout would fail the test's assertion, not pass it.
    private static readonly TimeSpan LongWait = TimeSpan.FromMinutes(5);

    private ILockGrain Lock(string name) => fixture.Grains.GetGrain<ILockGrain>(name);

    private ILockWatchGrain Watch(string name) => fixture.Grains.GetGrain<ILockWatchGrain>(name);

    [Fact]
    public async Task The_first_watch_call_answers_the_current_state_at_once()
    {
        var name = LockNames.Unique("watch-first");
        var granted = await Lock(name).TryAcquire("server-1", Ttl);

        var seen = await Watch(name).WhenHolderChanges(null, LongWait);

        Assert.Equal(("server-1", granted.FencingToken, granted.ExpiresAt), (seen.Holder, seen.FencingToken, seen.ExpiresAt));
    }

    [Fact]
    public async Task A_waiting_watcher_is_answered_by_a_grant_and_then_by_the_release()
    {
        var name = LockNames.Unique("watch-grant");
        var free = await Watch(name).WhenHolderChanges(null, LongWait);
        Assert.Null(free.Holder);

        var watching = Watch(name).WhenHolderChanges(free, LongWait);
        var granted = await Lock(name).TryAcquire("server-1", Ttl);
        var held = await watching;
        Assert.Equal(("server-1", granted.FencingToken), (held.Holder, held.FencingToken));

        watching = Watch(name).WhenHolderChanges(held, LongWait);
        await Lock(name).ReleaseLease(granted.LeaseId!);
        var released = await watching;
        Assert.Null(released.Holder);
        Assert.Equal(granted.FencingToken, released.FencingToken);
    }

    [Fact]
    public async Task A_lease_that_runs_out_answers_the_watcher_without_any_call_to_the_lock()
    {
        var name = LockNames.Unique("watch-expiry");
        await Lock(name).TryAcquire("server-1", Ttl);
        var held = await Watch(name).WhenHolderChanges(null, LongWait);

        var watching = Watch(name).WhenHolderChanges(held, LongWait);
        await Eventually(() => fixture.Clock.Advance(Ttl + TimeSpan.FromSeconds(1)), watching);

        var expired = await watching;
        Assert.Null(expired.Holder);
    }

    [Fact]
    public async Task Without_a_change_the_watch_answers_the_same_state_when_its_timeout_ends()
    {
        var name = LockNames.Unique("watch-timeout");
        await Lock(name).TryAcquire("server-1", Ttl);
        var held = await Watch(name).WhenHolderChanges(null, LongWait);

        var again = await Watch(name).WhenHolderChanges(held, TimeSpan.FromMilliseconds(200));

        Assert.Equal((held.Holder, held.FencingToken, held.ExpiresAt), (again.Holder, again.FencingToken, again.ExpiresAt));
    }

    [Fact]
    public async Task A_watch_with_a_bad_name_or_timeout_is_refused_with_the_rule()
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Watch(LockNames.Unique("watch-bad")).WhenHolderChanges(null, TimeSpan.FromHours(1)));
        Assert.Contains("a single wait must be between 0 and", error.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => Watch(" ").WhenHolderChanges(null, TimeSpan.Zero));
    }

    /// <summary>
    /// Moves the lock clock until <paramref name="answered"/> completes: the watcher's expiry timer exists only once its
    /// call has reached the grain, which a loaded machine may take a while to do.
    /// </summary>
    private static async Task Eventually(Action advance, Task answered)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!answered.IsCompleted && DateTime.UtcNow < until)
        {
            advance();
            await Task.WhenAny(answered, Task.Delay(200));
        }
    }
}
