using LockService.Http.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace LockService.Http;

/// <summary>
/// The work-queue routes under <c>/v1/queues/{queue}</c> (scope <c>queue</c>; retry and purge also <c>admin</c>). They
/// mirror <see cref="IWorkQueueGrain"/> and <see cref="IWorkQueueSegmentGrain"/>: a claim is a lease with a lease id
/// (made here when the client sends none), a long-poll of at most 55 s waits in the queue's fair line, and a claimer
/// that disconnects is withdrawn at once, with any task that was handed to it meanwhile.
/// </summary>
public static class QueueEndpoints
{
    /// <summary>Maps the work-queue routes onto the <c>/v1</c> group.</summary>
    public static IEndpointRouteBuilder MapQueueEndpoints(this IEndpointRouteBuilder v1)
    {
        var queue = v1.MapGroup("/queues/{queue}").WithTags("Work queues");
        queue.MapPost("/tasks", EnqueueAsync).WithName("EnqueueTasks")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Enqueue tasks; a task key the queue knows already returns its existing id.");
        queue.MapPost("/claim", ClaimAsync).WithName("ClaimTask")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Claim the oldest pending task: one try, or a long-poll of up to 55 s in the queue's fair line (204 when none came).")
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        queue.MapPost("/tasks/{taskId}/complete", CompleteAsync).WithName("CompleteTask")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Mark the claimed task done (409 lease-lost when the claim is not current).")
            .ProducesProblem(StatusCodes.Status409Conflict);
        queue.MapPost("/tasks/{taskId}/abandon", AbandonAsync).WithName("AbandonTask")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Give the claimed task back to the queue (dead after its last attempt).");
        queue.MapPost("/tasks/{taskId}/extend", ExtendAsync).WithName("ExtendTaskClaim")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Extend the valid claim to leaseTtl from now (409 lease-lost when the claim is not current).")
            .ProducesProblem(StatusCodes.Status409Conflict);
        queue.MapGet("/stats", StatsAsync).WithName("GetQueueStats")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("The queue's tasks counted by status, and completions per worker.");
        queue.MapGet("/tasks", ListAsync).WithName("ListTasks")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("One page of the queue's tasks: status=pending|claimed|done|dead, after=<taskId>, limit<=100.");
        queue.MapPost("/tasks/{taskId}/retry", RetryAsync).WithName("RetryTask").RequireAuthorization(ApiScopes.Admin)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Operator: bring a dead task back to pending.");
        queue.MapPost("/purge", PurgeAsync).WithName("PurgeQueue").RequireAuthorization(ApiScopes.Admin)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Operator: remove every task of the queue.");
        return v1;
    }

    private static async Task<Ok<EnqueueResponse>> EnqueueAsync(string queue, [FromBody] EnqueueRequest? body, IGrainFactory grains)
    {
        QueueArguments.ValidateQueueName(queue);
        // Null entries and payloads are left for the batch rule, which names the task's position.
        var tasks = HttpArguments.Body(body).Tasks?.Select(task => task is null ? null! : new NewTask(task.Payload!, task.Key)).ToList();
        QueueArguments.ValidateBatch(tasks);
        var ids = await grains.GetGrain<IWorkQueueGrain>(queue).Enqueue(tasks!);
        return TypedResults.Ok(new EnqueueResponse(ids));
    }

    private static async Task<Results<Ok<ClaimResponse>, NoContent, EmptyHttpResult, RetryAfterResult>> ClaimAsync(
        string queue, [FromBody] ClaimRequest? body, IGrainFactory grains, HttpShutdown shutdown, HttpContext http)
    {
        QueueArguments.ValidateQueueName(queue);
        var request = HttpArguments.Body(body);
        QueueArguments.ValidateWorker(request.Worker);
        var leaseTtl = HttpArguments.RequiredDuration(request.LeaseTtl, "leaseTtl");
        var wait = HttpArguments.Wait(request.Wait);
        var leaseId = HttpArguments.LeaseIdOrNew(request.LeaseId);
        if (shutdown.IsStopping)
        {
            return LongPoll.ShuttingDown();
        }

        // The client leaving or the silo stopping ends the wait and withdraws the claim by its lease id: out of the wait
        // line, and a task handed to it as it left goes back to pending at once (no attempt counted) instead of staying
        // claimed by nobody until its lease ends.
        var grain = grains.GetGrain<IWorkQueueGrain>(queue);
        var answer = await LongPoll.RunAsync(
            http,
            shutdown,
            async token => new ClaimAnswer(await WithLeaseTtlField(grain.Claim(request.Worker!, leaseId, leaseTtl, wait, token))),
            () => grain.Withdraw(leaseId),
            claim => claim.Task is not null);
        if (answer is null)
        {
            return http.RequestAborted.IsCancellationRequested ? TypedResults.Empty : LongPoll.ShuttingDown();
        }

        if (answer.Task is not { } claimed)
        {
            return TypedResults.NoContent();
        }

        return TypedResults.Ok(new ClaimResponse(
            claimed.TaskId, claimed.Payload, claimed.ClaimToken, leaseId, claimed.ExpiresAt.UtcDateTime, claimed.Attempt, claimed.Key));
    }

    private static async Task<Ok<CompleteResponse>> CompleteAsync(string queue, string taskId, [FromBody] CompleteRequest? body, IGrainFactory grains)
    {
        var leaseId = HttpArguments.LeaseId(HttpArguments.Body(body).LeaseId);
        await WorkQueueTaskIds.SegmentOf(grains, queue, taskId).Complete(taskId, leaseId);
        return TypedResults.Ok(new CompleteResponse(taskId, Completed: true));
    }

    private static async Task<Ok<AbandonResponse>> AbandonAsync(string queue, string taskId, [FromBody] AbandonRequest? body, IGrainFactory grains)
    {
        var request = HttpArguments.Body(body);
        var leaseId = HttpArguments.LeaseId(request.LeaseId);
        QueueArguments.ValidateError(request.Error);
        var abandoned = await WorkQueueTaskIds.SegmentOf(grains, queue, taskId).Abandon(taskId, leaseId, request.Error);
        return TypedResults.Ok(new AbandonResponse(taskId, abandoned));
    }

    private static async Task<Ok<ExtendResponse>> ExtendAsync(string queue, string taskId, [FromBody] ExtendRequest? body, IGrainFactory grains)
    {
        var request = HttpArguments.Body(body);
        var leaseId = HttpArguments.LeaseId(request.LeaseId);
        var leaseTtl = HttpArguments.RequiredDuration(request.LeaseTtl, "leaseTtl");
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

    /// <summary>What one claim call answered: the task, or none within the wait.</summary>
    private sealed record ClaimAnswer(ClaimedTask? Task);

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
}
