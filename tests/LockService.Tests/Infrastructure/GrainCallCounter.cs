using System.Collections.Concurrent;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// Counts every turn a grain takes, by the grain's key and the interface method it ran: calls from clients, and also
/// timer ticks (<c>IGrainTimerInvoker.InvokeCallbackAsync</c>) and reminders (<c>IRemindable.ReceiveReminder</c>),
/// which Orleans runs through the same incoming filters. Tests read the counts of their own (unique) names only.
/// </summary>
public sealed class GrainCallCounter : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<(string GrainKey, string Method), int> Counts = new();

    /// <summary>How many turns of each kind the grain keyed <paramref name="grainKey"/> has taken so far.</summary>
    public static IReadOnlyDictionary<string, int> Of(string grainKey) =>
        Counts.Where(entry => entry.Key.GrainKey == grainKey).ToDictionary(entry => entry.Key.Method, entry => entry.Value);

    /// <summary>The turns taken since <paramref name="before"/> (an earlier <see cref="Of"/>), kinds that did not move left out.</summary>
    public static IReadOnlyDictionary<string, int> Since(string grainKey, IReadOnlyDictionary<string, int> before) =>
        Of(grainKey)
            .Select(entry => (entry.Key, Count: entry.Value - before.GetValueOrDefault(entry.Key)))
            .Where(entry => entry.Count != 0)
            .ToDictionary(entry => entry.Key, entry => entry.Count);

    public Task Invoke(IIncomingGrainCallContext context)
    {
        var method = $"{context.InterfaceMethod?.DeclaringType?.Name}.{context.InterfaceMethod?.Name ?? context.MethodName}";
        Counts.AddOrUpdate((context.TargetId.Key.ToString(), method), 1, (_, count) => count + 1);
        return context.Invoke();
    }
}
