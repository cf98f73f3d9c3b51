namespace LockService;

/// <summary>A task to enqueue with <see cref="IWorkQueueGrain.Enqueue"/>.</summary>
/// <param name="Payload">What the worker gets: UTF-8 text, 1 byte to <see cref="QueueArguments.MaxPayloadBytes"/> encoded.</param>
/// <param name="Key">
/// Optional idempotency key (the rules of a name, at most <see cref="QueueArguments.MaxLength"/> characters): while the
/// queue knows a task with this key (pending, claimed, dead, or done until its segment retires), enqueuing the key
/// again returns that task's id and adds nothing.
/// </param>
[GenerateSerializer, Immutable, Alias("LockService.NewTask")]
public sealed record NewTask(
    [property: Id(0)] string Payload,
    [property: Id(1)] string? Key = null);
