namespace LockService.Testing;

/// <summary>Waits for a condition with a generous deadline instead of sleeping a fixed time.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(60);

    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, string what, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? DefaultDeadline);
        var delay = TimeSpan.FromMilliseconds(50);
        T last;
        while (true)
        {
            last = await probe();
            if (condition(last))
            {
                return last;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Timed out after {deadline ?? DefaultDeadline} waiting for {what}; last value: {last}");
            }

            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }
}
