using System.Text;

namespace LockService;

/// <summary>
/// The rules for work-queue calls, beside <see cref="LockArguments"/> (names, TTLs, waits) and <see cref="LeaseIds"/>.
/// The silo enforces them on every call; the client library checks them early so a mistake is reported before any
/// network hop. Each throws an <see cref="ArgumentException"/> (or <see cref="ArgumentOutOfRangeException"/>) whose
/// message names the broken rule.
/// </summary>
public static class QueueArguments
{
    /// <summary>Longest accepted queue name, worker or task key, in UTF-16 characters (as a lock name).</summary>
    public const int MaxLength = LockArguments.MaxLength;

    /// <summary>Largest payload: 64 KiB of UTF-8.</summary>
    public const int MaxPayloadBytes = 64 * 1024;

    /// <summary>Most tasks in one <see cref="IWorkQueueGrain.Enqueue"/> call.</summary>
    public const int MaxBatchSize = 1_000;

    /// <summary>Most tasks in one page of <see cref="IWorkQueueGrain.List"/> (each carries its payload).</summary>
    public const int MaxPageSize = 100;

    /// <summary>Longest error text an abandon may leave on its task, in UTF-16 characters (truncate longer output first).</summary>
    public const int MaxErrorLength = 2_048;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Throws unless <paramref name="queueName"/> follows the rules of a lock name.</summary>
    public static void ValidateQueueName(string? queueName) => LockArguments.ValidateIdentifier(queueName, "queue name", "queueName");

    /// <summary>Throws unless <paramref name="worker"/> follows the rules of an owner (non-empty, at most <see cref="MaxLength"/>, valid text).</summary>
    public static void ValidateWorker(string? worker) => LockArguments.ValidateIdentifier(worker, "worker", "worker");

    /// <summary>Throws unless <paramref name="key"/> is <see langword="null"/> or follows the rules of a name.</summary>
    public static void ValidateKey(string? key)
    {
        if (key is not null)
        {
            LockArguments.ValidateIdentifier(key, "task key", "key");
        }
    }

    /// <summary>Throws unless <paramref name="payload"/> is 1 to <see cref="MaxPayloadBytes"/> bytes of valid UTF-8 text.</summary>
    public static void ValidatePayload(string? payload)
    {
        if (string.IsNullOrEmpty(payload))
        {
            throw new ArgumentException("Invalid payload: it must not be empty.", nameof(payload));
        }

        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(payload);
        }
        catch (EncoderFallbackException exception)
        {
            // Orleans carries strings as UTF-8, which would silently turn an unpaired surrogate into U+FFFD.
            throw new ArgumentException($"Invalid payload: it must be valid UTF-16 text; found an unpaired surrogate at index {exception.Index}.", nameof(payload));
        }

        if (bytes > MaxPayloadBytes)
        {
            throw new ArgumentException($"Invalid payload: it must be at most {MaxPayloadBytes} bytes of UTF-8 (was {bytes}).", nameof(payload));
        }
    }

    /// <summary>
    /// Throws unless <paramref name="tasks"/> holds 1 to <see cref="MaxBatchSize"/> tasks, each with a valid payload and
    /// key, and no key twice. The message names the first bad task's position.
    /// </summary>
    public static void ValidateBatch(IReadOnlyList<NewTask>? tasks)
    {
        if (tasks is null || tasks.Count == 0)
        {
            throw new ArgumentException("Invalid batch: enqueue at least one task.", nameof(tasks));
        }

        if (tasks.Count > MaxBatchSize)
        {
            throw new ArgumentException($"Invalid batch: at most {MaxBatchSize} tasks per enqueue (was {tasks.Count}).", nameof(tasks));
        }

        HashSet<string>? keys = null;
        for (var i = 0; i < tasks.Count; i++)
        {
            var task = tasks[i] ?? throw new ArgumentException($"Invalid batch: task {i} is null.", nameof(tasks));
            try
            {
                ValidatePayload(task.Payload);
                ValidateKey(task.Key);
            }
            catch (ArgumentException exception)
            {
                throw new ArgumentException($"Invalid batch: task {i}: {exception.Message}", nameof(tasks), exception);
            }

            if (task.Key is { } key && !(keys ??= new HashSet<string>(StringComparer.Ordinal)).Add(key))
            {
                throw new ArgumentException($"Invalid batch: task {i}: the key '{key}' appears twice in one batch; each key names one task.", nameof(tasks));
            }
        }
    }

    /// <summary>Throws unless <paramref name="error"/> is <see langword="null"/> or at most <see cref="MaxErrorLength"/> characters.</summary>
    public static void ValidateError(string? error)
    {
        if (error is not null && error.Length > MaxErrorLength)
        {
            throw new ArgumentException($"Invalid error: an abandon's error text must be at most {MaxErrorLength} characters (was {error.Length}); truncate it.", nameof(error));
        }
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 1 &lt;= <paramref name="limit"/> &lt;= <see cref="MaxPageSize"/>.</summary>
    public static void ValidatePageSize(int limit)
    {
        if (limit < 1 || limit > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"Invalid limit: a page holds 1 to {MaxPageSize} tasks (was {limit}).");
        }
    }
}
