using LockService.Http.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace LockService.Http;

/// <summary>
/// The work-queue routes under <c>/v1/queues/{queue}</c> (scope <c>queue</c>; retry and purge also <c>admin</c>). They
/// mirror <see cref="IWorkQueueGrain"/> and <see cref="IWorkQueueSegmentGrain"/>: a claim is a lease with a lease id
/// (made here when the client sends none), a long-poll of at most 55 s waits in the queue's fair line, and a claimer
/// that disconnects is withdrawn at once, with any task that was handed to it meanwhile.
/// </summary>
public static partial class QueueEndpoints
{
    /// <summary>Maps the work-queue routes onto the <c>/v1</c> group.</summary>
    public static IEndpointRouteBuilder MapQueueEndpoints(this IEndpointRouteBuilder v1)
    {
        var queue = v1.MapGroup("/queues/{queue}").WithTags("Work queues");
        queue.MapPost("/tasks", EnqueueAsync).WithSummary("Enqueues tasks; a task key already known returns its existing id.");
        queue.MapPost("/claim", ClaimAsync).WithSummary("Claims the oldest pending task, long-polling up to 'wait' (204 when none came).");
        queue.MapPost("/tasks/{taskId}/complete", CompleteAsync).WithSummary("Marks the claimed task done (409 lease-lost when the claim is not current).");
        queue.MapPost("/tasks/{taskId}/abandon", AbandonAsync).WithSummary("Gives the claimed task back to the queue (or to dead after its last attempt).");
        queue.MapPost("/tasks/{taskId}/extend", ExtendAsync).WithSummary("Extends the valid claim to leaseTtl from now.");
        queue.MapGet("/stats", StatsAsync).WithSummary("Counts of the queue's tasks by status.");
        queue.MapGet("/tasks", ListAsync).WithSummary("One page of the queue's tasks (status=pending|claimed|done|dead, after, limit).");
        queue.MapPost("/tasks/{taskId}/retry", RetryAsync).RequireAuthorization(ApiScopes.Admin).WithSummary("Operator: brings a dead task back to pending.");
        queue.MapPost("/purge", PurgeAsync).RequireAuthorization(ApiScopes.Admin).WithSummary("Operator: removes every task of the queue.");
        return v1;
    }

    private static async Task<Ok<EnqueueResponse>> EnqueueAsync(string queue, EnqueueRequest request, IGrainFactory grains)
    {
        QueueArguments.ValidateQueueName(queue);
        // Null entries and payloads are left for the batch rule, which names the task's position.
        var tasks = request.Tasks?.Select(task => task is null ? null! : new NewTask(task.Payload!, task.Key)).ToList();
        QueueArguments.ValidateBatch(tasks);
        var ids = await grains.GetGrain<IWorkQueueGrain>(queue).Enqueue(tasks!);
        return TypedResults.Ok(new EnqueueResponse(ids));
    }

    private static async Task<Results<Ok<ClaimResponse>, NoContent, EmptyHttpResult, RetryAfterResult>> ClaimAsync(
        string queue, ClaimRequest request, IGrainFactory grains, HttpShutdown shutdown, HttpContext http, ILoggerFactory loggers)
    {
        QueueArguments.ValidateQueueName(queue);
        var worker = RequestFields.Required(request.Worker, "worker");
        var leaseTtl = RequestFields.Duration(request.LeaseTtl, "leaseTtl");
        var wait = RequestFields.Wait(request.Wait);
        var leaseId = request.LeaseId ?? LeaseIds.New();
        LeaseIds.Validate(leaseId);
        if (shutdown.IsStopping)
        {
            return Problems.Unavailable("The silo is shutting down; claim again (another silo serves the queue).");
        }

        var grain = grains.GetGrain<IWorkQueueGrain>(queue);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, shutdown.Stopping);
        ClaimedTask? claimed;
        try
        {
            claimed = await WithLeaseTtlField(grain.Claim(worker, leaseId, leaseTtl, wait, ended.Token));
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            // The client left or the silo is stopping: out of the wait line, and a task handed over meanwhile goes
            // back to pending at once instead of staying claimed by nobody until its lease ends.
            await WithdrawAsync(grain, leaseId, loggers);
            return http.RequestAborted.IsCancellationRequested
                ? TypedResults.Empty
                : Problems.Unavailable("The silo is shutting down; claim again with the same leaseId (another silo serves the queue).");
        }

        if (claimed is null)
        {
            return TypedResults.NoContent();
        }

        if (http.RequestAborted.IsCancellationRequested)
        {
            // The claim landed as the client left: nobody would receive it.
            await WithdrawAsync(grain, leaseId, loggers);
            return TypedResults.Empty;
        }

        return TypedResults.Ok(new ClaimResponse(
            claimed.TaskId, claimed.Payload, claimed.ClaimToken, leaseId, claimed.ExpiresAt.UtcDateTime, claimed.Attempt, claimed.Key));
    }

    private static async Task<Ok<CompleteResponse>> CompleteAsync(string queue, string taskId, CompleteRequest request, IGrainFactory grains)
    {
        var leaseId = RequestFields.Required(request.LeaseId, "leaseId");
        await WorkQueueTaskIds.SegmentOf(grains, queue, taskId).Complete(taskId, leaseId);
        return TypedResults.Ok(new CompleteResponse(taskId, Completed: true));
    }

    private static async Task<Ok<AbandonResponse>> AbandonAsync(string queue, string taskId, AbandonRequest request, IGrainFactory grains)
    {
        var leaseId = RequestFields.Required(request.LeaseId, "leaseId");
        QueueArguments.ValidateError(request.Error);
        var abandoned = await WorkQueueTaskIds.SegmentOf(grains, queue, taskId).Abandon(taskId, leaseId, request.Error);
        return TypedResults.Ok(new AbandonResponse(taskId, abandoned));
    }

    private static async Task<Ok<ExtendResponse>> ExtendAsync(string queue, string taskId, ExtendRequest request, IGrainFactory grains)
    {
        var leaseId = RequestFields.Required(request.LeaseId, "leaseId");
        var leaseTtl = RequestFields.Duration(request.LeaseTtl, "leaseTtl");
        var expiresAt = await WithLeaseTtlField(WorkQueueTaskIds.SegmentOf(grains, queue, taskId).Extend(taskId, leaseId, leaseTtl));
        return TypedResults.Ok(new ExtendResponse(taskId, expiresAt.UtcDateTime));
    }

    private static async Task<Ok<QueueStatsResponse>> StatsAsync(string queue, IGrainFactory grains)
    {
        QueueArguments.ValidateQueueName(queue);
        var stats = await grains.GetGrain<IWorkQueueGrain>(queue).Stats();
        return TypedResults.Ok(new QueueStatsResponse(
            stats.QueueName, stats.Pending, stats.Claimed, stats.Done, stats.Dead, stats.WaitingClaimers, stats.CompletedByWorker));
    }

    private static async Task<Ok<QueueTaskPageResponse>> ListAsync(string queue, IGrainFactory grains, string? status = null, string? after = null, string? limit = null)
    {
        QueueArguments.ValidateQueueName(queue);
        var pageSize = QueueArguments.MaxPageSize;
        if (limit is not null && !int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pageSize))
        {
            throw new ArgumentException($"Invalid limit: it must be a whole number from 1 to {QueueArguments.MaxPageSize}.", "limit");
        }

        QueueArguments.ValidatePageSize(pageSize);
        var page = await grains.GetGrain<IWorkQueueGrain>(queue).List(ParseStatus(status), after, pageSize);
        return TypedResults.Ok(new QueueTaskPageResponse([.. page.Tasks.Select(View)], page.Next));
    }

    private static async Task<Ok<QueueTaskView>> RetryAsync(string queue, string taskId, IGrainFactory grains)
    {
        QueueArguments.ValidateQueueName(queue);
        WorkQueueTaskIds.Validate(taskId);
        return TypedResults.Ok(View(await grains.GetGrain<IWorkQueueGrain>(queue).Retry(taskId)));
    }

    private static async Task<Ok<PurgeResponse>> PurgeAsync(string queue, IGrainFactory grains)
    {
        QueueArguments.ValidateQueueName(queue);
        return TypedResults.Ok(new PurgeResponse(queue, await grains.GetGrain<IWorkQueueGrain>(queue).Purge()));
    }

    private static async Task WithdrawAsync(IWorkQueueGrain grain, string leaseId, ILoggerFactory loggers)
    {
        try
        {
            await grain.Withdraw(leaseId);
        }
        catch (Exception exception)
        {
            // Nothing more to do here: a claim that could not be withdrawn returns to the queue when its lease ends.
            LogWithdrawFailed(loggers.CreateLogger(typeof(QueueEndpoints)), exception, grain.GetPrimaryKeyString());
        }
    }

    /// <summary>The grain names a bad lease length "ttl"; the queue routes call that field <c>leaseTtl</c>.</summary>
    private static async Task<T> WithLeaseTtlField<T>(Task<T> call)
    {
        try
        {
            return await call;
        }
        catch (ArgumentException exception) when (exception.Message.StartsWith("Invalid ttl:", StringComparison.Ordinal))
        {
            var rule = exception.Message.Split('\n', 2)[0].Replace(" (Parameter 'ttl')", "", StringComparison.Ordinal);
            throw new ArgumentException($"Invalid leaseTtl:{rule["Invalid ttl:".Length..]}", "leaseTtl");
        }
    }

    private static QueueTaskStatus? ParseStatus(string? status) => status?.ToLowerInvariant() switch
    {
        null or "" => null,
        "pending" => QueueTaskStatus.Pending,
        "claimed" => QueueTaskStatus.Claimed,
        "done" => QueueTaskStatus.Done,
        "dead" => QueueTaskStatus.Dead,
        _ => throw new ArgumentException($"Invalid status: it must be one of pending, claimed, done, dead (was '{(status!.Length > 20 ? status[..20] + "..." : status)}').", "status"),
    };

    private static QueueTaskView View(QueueTaskInfo task) => new(
        task.TaskId,
        task.Status.ToString().ToLowerInvariant(),
        task.Payload,
        task.Key,
        task.Attempts,
        task.ClaimToken,
        task.Worker,
        task.ExpiresAt?.UtcDateTime,
        task.LastError);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue '{QueueName}': a claim whose client left could not be withdrawn; its task returns when the lease ends.")]
    private static partial void LogWithdrawFailed(ILogger logger, Exception exception, string queueName);
}
