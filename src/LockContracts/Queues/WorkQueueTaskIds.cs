using System.Globalization;
using Orleans;

namespace LockService;

/// <summary>
/// Task ids name the segment that holds the task: <c>{segment}-{index}</c> (for example <c>12-37</c>, the 38th task of
/// segment 12), both decimal. So a claim's operations go straight to the segment grain, never through the queue's
/// directory. Segments are numbered from 0 and never reused in a queue, so a task id is never reused either.
/// </summary>
public static class WorkQueueTaskIds
{
    /// <summary>The task id of the task at <paramref name="index"/> in <paramref name="segment"/>.</summary>
    public static string Format(long segment, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{segment}-{index}");

    /// <summary>The key of segment <paramref name="segment"/> of <paramref name="queueName"/>: <c>{queue}/seg-{n}</c>.</summary>
    public static string SegmentKey(string queueName, long segment) =>
        string.Create(CultureInfo.InvariantCulture, $"{queueName}/seg-{segment}");

    /// <summary>Reads <paramref name="taskId"/>; <see langword="false"/> when it is not <c>{segment}-{index}</c> with non-negative decimal numbers.</summary>
    public static bool TryParse(string? taskId, out long segment, out int index)
    {
        segment = 0;
        index = 0;
        if (string.IsNullOrEmpty(taskId) || taskId.Length > 40)
        {
            return false;
        }

        var dash = taskId.IndexOf('-');
        return dash > 0
            && IsDigits(taskId.AsSpan(0, dash)) && IsDigits(taskId.AsSpan(dash + 1))
            && long.TryParse(taskId.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out segment)
            && int.TryParse(taskId.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the rule unless <paramref name="taskId"/> is a well-formed task id.</summary>
    public static void Validate(string? taskId)
    {
        if (!TryParse(taskId, out _, out _))
        {
            var shown = taskId is null ? "null" : taskId.Length > 40 ? $"{taskId.Length} characters" : $"'{taskId}'";
            throw new ArgumentException($"Invalid task id: it must be '{{segment}}-{{index}}' with non-negative decimal numbers, as Enqueue and Claim return it (was {shown}).", nameof(taskId));
        }
    }

    /// <summary>
    /// The segment grain that holds <paramref name="taskId"/> of the queue <paramref name="queueName"/>: call
    /// <see cref="IWorkQueueSegmentGrain.Complete"/>, <see cref="IWorkQueueSegmentGrain.Abandon"/> and
    /// <see cref="IWorkQueueSegmentGrain.Extend"/> on it.
    /// </summary>
    /// <exception cref="ArgumentException">The queue name or task id breaks its rule.</exception>
    public static IWorkQueueSegmentGrain SegmentOf(IGrainFactory grainFactory, string queueName, string taskId)
    {
        ArgumentNullException.ThrowIfNull(grainFactory);
        QueueArguments.ValidateQueueName(queueName);
        Validate(taskId);
        TryParse(taskId, out var segment, out _);
        return grainFactory.GetGrain<IWorkQueueSegmentGrain>(SegmentKey(queueName, segment));
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
