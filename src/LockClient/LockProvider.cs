using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LockService.Client;

/// <summary>The <see cref="ILockProvider"/> over an Orleans client connected to a lock cluster.</summary>
public sealed class LockProvider : ILockProvider
{
    private readonly IGrainFactory _grains;
    private readonly LockClientOptions _options;
    private readonly ILogger _logger;
    private readonly string _ownerPrefix;
    private long _acquisitions;

    /// <summary>Creates the provider over <paramref name="grains"/>; usually resolved from DI after <c>AddLockClient</c>.</summary>
    public LockProvider(IGrainFactory grains, IOptions<LockClientOptions> options, ILogger<LockProvider>? logger = null)
    {
        _grains = grains;
        _options = options.Value;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _ownerPrefix = _options.OwnerPrefix ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
    }

    /// <inheritdoc />
    public DistributedLock CreateLock(string name, LockOptions? options = null)
    {
        LockArguments.ValidateName(name);
        options ??= new LockOptions();
        options.Validate();
        return new DistributedLock(name, options, this);
    }

    /// <inheritdoc />
    public DistributedSemaphore CreateSemaphore(string name, int maxCount, LockOptions? options = null)
    {
        LockArguments.ValidateName(name);
        // Only the lower bound here: the cap is the silo's setting (LockGrainOptions), which it enforces itself.
        SemaphoreArguments.ValidateMaxCount(maxCount, cap: int.MaxValue);
        options ??= new LockOptions();
        options.Validate();
        return new DistributedSemaphore(name, maxCount, options, this);
    }

    /// <inheritdoc />
    public WorkQueue CreateQueue(string name, LockOptions? options = null)
    {
        QueueArguments.ValidateQueueName(name);
        options ??= new LockOptions();
        options.Validate();
        return new WorkQueue(name, options, this);
    }

    /// <summary>A test seam: wraps every lock grain reference, so tests can fail or delay chosen calls client-side.</summary>
    internal Func<ILockGrain, ILockGrain>? GrainInterceptor { get; init; }

    internal ILockGrain Grain(string name) =>
        GrainInterceptor is { } intercept ? intercept(_grains.GetGrain<ILockGrain>(name)) : _grains.GetGrain<ILockGrain>(name);

    /// <summary>A test seam: wraps every semaphore grain reference, as <see cref="GrainInterceptor"/> does for locks.</summary>
    internal Func<ISemaphoreGrain, ISemaphoreGrain>? SemaphoreGrainInterceptor { get; init; }

    internal ISemaphoreGrain SemaphoreGrain(string name) =>
        SemaphoreGrainInterceptor is { } intercept ? intercept(_grains.GetGrain<ISemaphoreGrain>(name)) : _grains.GetGrain<ISemaphoreGrain>(name);

    /// <summary>A test seam: wraps every work queue grain reference, as <see cref="GrainInterceptor"/> does for locks.</summary>
    internal Func<IWorkQueueGrain, IWorkQueueGrain>? QueueGrainInterceptor { get; init; }

    internal IWorkQueueGrain QueueGrain(string name) =>
        QueueGrainInterceptor is { } intercept ? intercept(_grains.GetGrain<IWorkQueueGrain>(name)) : _grains.GetGrain<IWorkQueueGrain>(name);

    /// <summary>A test seam: wraps every queue segment grain reference, as <see cref="GrainInterceptor"/> does for locks.</summary>
    internal Func<IWorkQueueSegmentGrain, IWorkQueueSegmentGrain>? SegmentGrainInterceptor { get; init; }

    /// <summary>The segment grain that holds <paramref name="taskId"/> of <paramref name="queueName"/>.</summary>
    internal IWorkQueueSegmentGrain SegmentGrain(string queueName, string taskId) =>
        SegmentGrainInterceptor is { } intercept
            ? intercept(WorkQueueTaskIds.SegmentOf(_grains, queueName, taskId))
            : WorkQueueTaskIds.SegmentOf(_grains, queueName, taskId);

    internal LockClientOptions ClientOptions => _options;

    /// <summary>The worker label of queue claims made without an owner: one per provider, so statistics count per process.</summary>
    internal string WorkerName => _ownerPrefix;

    internal ILogger Logger => _logger;

    internal string NextOwner(LockOptions options) =>
        options.Owner ?? $"{_ownerPrefix}:{Interlocked.Increment(ref _acquisitions)}";
}
