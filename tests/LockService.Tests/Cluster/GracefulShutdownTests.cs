using LockService.Testing;
using LockService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace LockService.Tests.Cluster;

/// <summary>
/// SIGTERM, what an orchestrator sends on a rolling update: the silo leaves the cluster gracefully while clients keep
/// calling. No call may be lost or half done: each one is answered as expected, or fails with a transient Orleans
/// error (never a time-out), and the lock's state read back afterwards shows the failed call either did not happen at
/// all or happened completely, so retrying it as the same owner is safe. A worker checks every answer against the
/// state the lock must be in, so a lost, doubled or half-applied call shows up.
/// </summary>
public sealed class GracefulShutdownTests(ITestOutputHelper output)
{
    private const int Workers = 12;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_SIGTERM_of_a_silo_loses_no_in_flight_call()
    {
        await using var cluster = await SiloProcessCluster.StartAsync("locks_graceful");
        var workers = Enumerable.Range(0, Workers)
            .Select(i => new LockWorker(cluster.Grains.GetGrain<ILockGrain>(LockNames.Unique($"graceful{i}")), $"worker-{i}"))
            .ToArray();

        // Activate every lock, then stop the silo that hosts the first (it is the gateway of some calls, too).
        foreach (var worker in workers)
        {
            await worker.Lock.Describe();
        }

        var victim = await cluster.FindHostAsync(workers[0].Lock);
        var hostedOnVictim = 0;
        foreach (var worker in workers)
        {
            hostedOnVictim += await cluster.FindHostAsync(worker.Lock) == victim ? 1 : 0;
        }

        using var stop = new CancellationTokenSource();
        var running = workers.Select(w => w.RunAsync(stop.Token)).ToArray();
        await Eventually.ReturnsAsync(() => Task.FromResult(workers.Min(w => w.Calls)), calls => calls >= 9, "every worker's first cycles");

        victim.Terminate();
        var exitCode = await victim.WaitForExitAsync(TimeSpan.FromSeconds(90));
        var callsAtExit = workers.Select(w => w.Calls).ToArray();

        // The stream goes on across the shutdown and after it, on the surviving silos.
        // A worker that found a violation stops; the assertions below report it.
        await Eventually.ReturnsAsync(
            () => Task.FromResult(workers.Select((w, i) => w.Violations.Count > 0 ? int.MaxValue : w.Calls - callsAtExit[i]).Min()),
            callsSinceExit => callsSinceExit >= 9,
            "every worker's cycles after the silo exited");
        stop.Cancel();
        await Task.WhenAll(running);

        var total = workers.Sum(w => w.Calls);
        var errors = workers.SelectMany(w => w.Errors).ToArray();
        output.WriteLine($"SIGTERM of the silo on {victim.Gateway}, which hosted {hostedOnVictim} of {Workers} locks: exit code {exitCode}; {total} calls, {errors.Length} errors");
        foreach (var error in errors)
        {
            output.WriteLine($"  {error}");
        }

        Assert.Equal(0, exitCode);
        Assert.Empty(workers.SelectMany(w => w.Violations));
        // The failures allowed: the stopping silo refused the request ("Silo stopping", OrleansMessageRejectionException),
        // or the client learnt that the silo left before the answer reached it (SiloUnavailableException; on a loaded
        // machine the membership news can overtake an answer in flight). Either way the state read back showed the call
        // whole or absent (a half-applied one is a violation above), so a retry as the same owner is safe; the lock
        // client does exactly that. A time-out means a call hung across the shutdown, and fails the test.
        Assert.All(errors, error => Assert.Matches(@"^worker-\d+ \w+: (OrleansMessageRejectionException|SiloUnavailableException): [\s\S]* \(it had (not happened at all|happened completely)\)$", error));
        Assert.All(workers, w => Assert.Equal(w.Grants, w.LastToken));
    }

    /// <summary>
    /// One owner cycling one lock through acquire, refresh and release, and checking every answer against what the
    /// lock's state must be. After a failed call it reads the state back and accepts only "the call did not happen"
    /// or "the call happened completely".
    /// </summary>
    private sealed class LockWorker(ILockGrain lockGrain, string owner)
    {
        private long _token;
        private bool _held;
        private bool _refreshed;
        private DateTimeOffset? _expiresAt;

        public ILockGrain Lock => lockGrain;

        public int Calls { get; private set; }

        public int Grants { get; private set; }

        public long LastToken => _token;

        public List<string> Errors { get; } = [];

        public List<string> Violations { get; } = [];

        public async Task RunAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested && Violations.Count == 0)
            {
                if (!_held)
                {
                    await CallAsync("acquire", () => lockGrain.TryAcquire(owner, Lease), result =>
                        result.Outcome == LockOutcome.Granted && result.Holder == owner && result.FencingToken == _token + 1);
                }
                else if (!_refreshed)
                {
                    await CallAsync("refresh", () => lockGrain.Refresh(owner, _token, Lease), result =>
                        result.Outcome == LockOutcome.Renewed && result.Holder == owner && result.FencingToken == _token && result.ExpiresAt > _expiresAt);
                }
                else
                {
                    await CallAsync("release", () => lockGrain.Release(owner, _token), result =>
                        result.Outcome == LockOutcome.Released && result.Holder is null && result.FencingToken == _token);
                }
            }
        }

        private async Task CallAsync(string operation, Func<Task<LockResult>> call, Func<LockResult, bool> expected)
        {
            var before = (_held, _token, _expiresAt);
            Calls++;
            try
            {
                var result = await call();
                if (!expected(result))
                {
                    Violations.Add($"{owner} {operation} from {Describe(before)}: unexpected answer {result}");
                    return;
                }

                Apply(operation, happened: true, result.Holder == owner, result.FencingToken, result.ExpiresAt);
            }
            catch (Exception exception) when (exception is not ArgumentException)
            {
                Errors.Add($"{owner} {operation}: {exception.GetType().Name}: {exception.Message}");
                var state = await ReadBackAsync();
                var held = state.Holder == owner;
                var happened = operation switch
                {
                    "acquire" when held && state.FencingToken == before._token + 1 => true,
                    "acquire" when !held && state.FencingToken == before._token => false,
                    "refresh" when held && state.FencingToken == before._token && state.ExpiresAt > before._expiresAt => true,
                    "refresh" when held && state.FencingToken == before._token && state.ExpiresAt == before._expiresAt => false,
                    "release" when !held && state.FencingToken == before._token => true,
                    "release" when held && state.FencingToken == before._token && state.ExpiresAt == before._expiresAt => false,
                    _ => (bool?)null,
                };
                if (happened is null)
                {
                    Violations.Add($"{owner} {operation} failed, and the state went from {Describe(before)} to holder {state.Holder ?? "none"}, token {state.FencingToken}, expiry {state.ExpiresAt:o}: neither before nor after");
                    return;
                }

                Errors[^1] += happened.Value ? " (it had happened completely)" : " (it had not happened at all)";
                Apply(operation, happened.Value, held, state.FencingToken, state.ExpiresAt);
            }
        }

        private async Task<LockDescription> ReadBackAsync()
        {
            // Describe is read-only: asking until the cluster answers cannot change what it reports.
            return (await Eventually.ReturnsAsync<LockDescription?>(
                async () =>
                {
                    try
                    {
                        return await lockGrain.Describe();
                    }
                    catch (Exception exception) when (exception is not ArgumentException)
                    {
                        return null;
                    }
                },
                description => description is not null,
                $"the state of {owner}'s lock"))!;
        }

        private void Apply(string operation, bool happened, bool held, long token, DateTimeOffset? expiresAt)
        {
            (_held, _token, _expiresAt) = (held, token, expiresAt);
            if (happened)
            {
                Grants += operation == "acquire" ? 1 : 0;
                _refreshed = operation == "refresh";
            }
        }

        private static string Describe((bool Held, long Token, DateTimeOffset? ExpiresAt) state) =>
            state.Held ? $"held with token {state.Token} until {state.ExpiresAt:o}" : $"free after token {state.Token}";
    }
}
