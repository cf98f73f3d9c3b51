namespace LockService.Bench.Timing;

/// <summary>
/// How a peer without a server-side wait waits, as users write it: try, and if that failed sleep 1–5 ms (jittered, so
/// the pollers spread out; a precise sleep, see <see cref="PreciseDelay"/>) and try again until the timeout.
/// </summary>
internal static class PollingWait
{
    /// <summary>The first non-null answer of <paramref name="tryOnce"/>, or <see langword="null"/> once <paramref name="timeout"/> has passed.</summary>
    public static async ValueTask<T?> UntilAsync<T>(Func<ValueTask<T?>> tryOnce, TimeSpan timeout)
        where T : class
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            if (await tryOnce() is { } result)
            {
                return result;
            }

            if (Environment.TickCount64 >= deadline)
            {
                return null;
            }

            await PreciseDelay.Shared.WaitAsync(TimeSpan.FromMicroseconds(Random.Shared.Next(1_000, 5_001)));
        }
    }
}
