using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace LockService.Cli.Commands;

/// <summary>
/// <c>lockctl queue enqueue | claim | complete | abandon | stats | dead | retry</c>: work queues from scripts and for
/// operators. <c>lockctl work</c> is the usual way to process a task; <c>claim</c> and <c>complete</c> are for scripts
/// that hold a claim across several commands (nothing renews it then).
/// </summary>
internal static class QueueCommands
{
    private static readonly Argument<string> Name = new("name") { Description = "The queue's name." };

    private static readonly Argument<string> TaskId = new("task-id") { Description = "The task's id, as 'enqueue' or 'claim' printed it." };

    private static readonly Option<string> LeaseId = new("--lease-id")
    {
        Description = "The lease id 'lockctl queue claim' printed on its second line (a secret: it alone identifies the claim).",
        Required = true,
    };

    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON." };

    public static Command Create()
    {
        var command = new Command("queue", "Work queues: enqueue tasks, claim and complete them from scripts, and see a queue's counts and dead tasks. 'lockctl work' processes one task.");
        command.Add(Enqueue());
        command.Add(Claim());
        command.Add(Complete());
        command.Add(Abandon());
        command.Add(Stats());
        command.Add(Dead());
        command.Add(Retry());
        return command;
    }

    private static Command Enqueue()
    {
        var payloads = new Argument<string[]>("payload")
        {
            Description = "One task per payload; '-' alone reads one task per line from stdin (empty lines are skipped).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var key = new Option<string?>("--key")
        {
            Description = "Idempotency key of the one task given: enqueuing the same key again adds nothing and prints the existing task's id.",
        };
        var command = new Command("enqueue", "Add tasks to a queue and print their task ids, one per line, in order.") { Name, payloads, key };
        command.SetAction(async (parse, _) =>
        {
            var name = ValidName(parse);
            var given = parse.GetValue(payloads) ?? [];
            var fromStdin = given is ["-"];
            var taskKey = parse.GetValue(key);
            if (given.Length == 0)
            {
                throw new UsageException("queue enqueue needs one or more payloads, or '-' to read one task per line from stdin.");
            }

            if (taskKey is not null && (fromStdin || given.Length != 1))
            {
                throw new UsageException("--key names one task: give exactly one payload with it (not '-').");
            }

            if (!fromStdin)
            {
                // Before connecting: a bad argument is a usage error at once.
                Cli.Validate(() => { QueueArguments.ValidateKey(taskKey); Array.ForEach(given, QueueArguments.ValidatePayload); return 0; });
            }

            await using var connection = await GlobalOptions.ConnectAsync(parse);
            var queue = Cli.Validate(() => connection.Locks.CreateQueue(name));
            var enqueued = 0;
            foreach (var batch in (fromStdin ? ReadTasks(Console.In) : given).Chunk(QueueArguments.MaxBatchSize))
            {
                IReadOnlyList<string> ids;
                try
                {
                    ids = taskKey is null ? await queue.EnqueueAsync(batch) : await queue.EnqueueAsync([(batch[0], taskKey)]);
                }
                catch (ArgumentException exception)
                {
                    var before = enqueued == 0 ? "nothing was enqueued" : $"the {enqueued} tasks before this batch of up to {QueueArguments.MaxBatchSize} were enqueued (their ids are printed)";
                    throw new UsageException($"{exception.Message} ({before}).");
                }

                foreach (var id in ids)
                {
                    Console.WriteLine(id);
                }

                enqueued += ids.Count;
            }

            if (enqueued == 0)
            {
                throw new UsageException("queue enqueue -: stdin held no task (every line was empty).");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Claim()
    {
        var ttl = new Option<TimeSpan>("--ttl")
        {
            Description = "The claim's lease length; nothing renews it, so choose it long enough, then complete it (default 5m).",
            DefaultValueFactory = _ => TimeSpan.FromMinutes(5),
            CustomParser = DurationOption.Parse("--ttl"),
        };
        var wait = new Option<TimeSpan>("--wait")
        {
            Description = $"How long to wait for a task (default 0: exit {ExitCodes.NoTask} at once when none is pending), at most 30m.",
            DefaultValueFactory = _ => TimeSpan.Zero,
            CustomParser = DurationOption.Parse("--wait", allowZero: true),
        };
        var worker = new Option<string?>("--worker") { Description = "Worker name recorded with the claim (default: host name)." };
        var command = new Command(
            "claim",
            $"Claim the oldest pending task and print 'TASK_ID CLAIM_TOKEN', then its lease id on a second line, then the payload; exit {ExitCodes.NoTask} when none came. Complete it with 'lockctl queue complete NAME TASK_ID --lease-id LEASE_ID'.")
        {
            Name, ttl, wait, worker, Json,
        };
        command.SetAction(async (parse, _) =>
        {
            var name = ValidName(parse);
            var claimer = parse.GetValue(worker) ?? Environment.MachineName;
            var lease = parse.GetValue(ttl);
            var patience = parse.GetValue(wait);
            Cli.Validate(() => { QueueArguments.ValidateWorker(claimer); LockArguments.ValidateWait(patience); return 0; });
            await using var connection = await GlobalOptions.ConnectAsync(parse);
            var leaseId = LeaseIds.New();
            var task = await Silo(() => connection.Grains.GetGrain<IWorkQueueGrain>(name).Claim(claimer, leaseId, lease, patience));
            if (task is null)
            {
                Cli.Error($"queue '{name}' had no pending task{(patience > TimeSpan.Zero ? $" within {Durations.Describe(patience)}" : "")}; nothing was claimed.");
                return ExitCodes.NoTask;
            }

            // The lease id is the caller's secret, printed only here: the queue keeps its hash.
            if (parse.GetValue(Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["queue"] = name,
                    ["taskId"] = task.TaskId,
                    ["claimToken"] = task.ClaimToken,
                    ["leaseId"] = leaseId,
                    ["attempt"] = task.Attempt,
                    ["expiresAt"] = task.ExpiresAt,
                    ["key"] = task.Key,
                    ["payload"] = task.Payload,
                }));
            }
            else
            {
                Console.WriteLine($"{task.TaskId} {task.ClaimToken.ToString(CultureInfo.InvariantCulture)}");
                Console.WriteLine(leaseId);
                Console.Write(task.Payload);
                Console.Out.Flush();
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Complete()
    {
        var command = new Command("complete", "Complete a task claimed with 'lockctl queue claim'; exits 1 if the claim is no longer the task's current one (expired, and perhaps claimed again).") { Name, TaskId, LeaseId };
        command.SetAction(async (parse, _) =>
        {
            var (name, taskId, leaseId) = ValidTaskCall(parse);
            await using var connection = await GlobalOptions.ConnectAsync(parse);
            try
            {
                await Silo(async () => { await WorkQueueTaskIds.SegmentOf(connection.Grains, name, taskId).Complete(taskId, leaseId); return 0; });
            }
            catch (TaskLeaseLostException exception)
            {
                Cli.Error(exception.Message);
                return 1;
            }

            Console.WriteLine($"queue '{name}': task {taskId} completed");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Abandon()
    {
        var error = new Option<string?>("--error") { Description = $"Why the task was given up (at most {QueueArguments.MaxErrorLength} characters), kept as its last error." };
        var command = new Command("abandon", "Give a claimed task back to the queue now (its attempt counts); exits 1 if the claim is no longer the task's current one.") { Name, TaskId, LeaseId, error };
        command.SetAction(async (parse, _) =>
        {
            var (name, taskId, leaseId) = ValidTaskCall(parse);
            var reason = parse.GetValue(error);
            Cli.Validate(() => { QueueArguments.ValidateError(reason); return 0; });
            await using var connection = await GlobalOptions.ConnectAsync(parse);
            if (!await Silo(() => WorkQueueTaskIds.SegmentOf(connection.Grains, name, taskId).Abandon(taskId, leaseId, reason)))
            {
                Cli.Error($"queue '{name}': task {taskId}: this lease is not the task's current claim; nothing changed.");
                return 1;
            }

            Console.WriteLine($"queue '{name}': task {taskId} abandoned");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Stats()
    {
        var command = new Command("stats", "Show a queue's pending, claimed, done and dead counts, waiting claimers, and how many tasks each worker completed.") { Name, Json };
        command.SetAction(async (parse, _) =>
        {
            var name = ValidName(parse);
            await using var connection = await GlobalOptions.ConnectAsync(parse);
            var stats = await connection.Grains.GetGrain<IWorkQueueGrain>(name).Stats();
            var workers = stats.CompletedByWorker.OrderBy(w => w.Key, StringComparer.Ordinal).ToList();
            if (parse.GetValue(Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["queue"] = stats.QueueName,
                    ["pending"] = stats.Pending,
                    ["claimed"] = stats.Claimed,
                    ["done"] = stats.Done,
                    ["dead"] = stats.Dead,
                    ["waitingClaimers"] = stats.WaitingClaimers,
                    ["completedByWorker"] = workers.ToDictionary(w => w.Key, w => w.Value),
                }));
                return ExitCodes.Success;
            }

            Console.WriteLine($"queue '{name}': {stats.Pending} pending, {stats.Claimed} claimed, {stats.Done} done, {stats.Dead} dead, {stats.WaitingClaimers} waiting claimers");
            foreach (var (worker, completed) in workers)
            {
                Console.WriteLine($"  {worker}: {completed} completed");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Dead()
    {
        var command = new Command("dead", "List the dead tasks of a queue (they used up their attempts): id, attempts, last error and payload. 'lockctl queue retry' brings one back.") { Name, Json };
        command.SetAction(async (parse, _) =>
        {
            var name = ValidName(parse);
            await using var connection = await GlobalOptions.ConnectAsync(parse);
            var grain = connection.Grains.GetGrain<IWorkQueueGrain>(name);
            var dead = new List<QueueTaskInfo>();
            string? after = null;
            do
            {
                var page = await grain.List(QueueTaskStatus.Dead, after, QueueArguments.MaxPageSize);
                dead.AddRange(page.Tasks);
                after = page.Next;
            }
            while (after is not null);

            if (parse.GetValue(Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(dead.Select(t => new Dictionary<string, object?>
                {
                    ["taskId"] = t.TaskId,
                    ["attempts"] = t.Attempts,
                    ["lastError"] = t.LastError,
                    ["worker"] = t.Worker,
                    ["key"] = t.Key,
                    ["payload"] = t.Payload,
                })));
                return ExitCodes.Success;
            }

            Console.WriteLine($"queue '{name}': {dead.Count} dead task{(dead.Count == 1 ? "" : "s")}");
            foreach (var task in dead)
            {
                Console.WriteLine($"  {task.TaskId}: {task.Attempts} attempts, last error: {task.LastError ?? "none"}; payload: {Shorten(task.Payload)}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Retry()
    {
        var command = new Command("retry", "Operator: bring a dead task back to pending, with a fresh attempt count.") { Name, TaskId };
        command.SetAction(async (parse, _) =>
        {
            var name = ValidName(parse);
            var taskId = parse.GetValue(TaskId)!;
            Cli.Validate(() => { WorkQueueTaskIds.Validate(taskId); return 0; });
            await using var connection = await GlobalOptions.ConnectAsync(parse);
            var task = await Silo(() => connection.Grains.GetGrain<IWorkQueueGrain>(name).Retry(taskId));
            Console.WriteLine($"queue '{name}': task {task.TaskId} is {task.Status.ToString().ToLowerInvariant()} again");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A call whose ArgumentException (the silo's rules: an unknown task, a TTL above its maximum) is a usage error.</summary>
    private static async Task<T> Silo<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(exception.Message);
        }
    }

    /// <summary>One task per non-empty line (the line ending is not part of the payload).</summary>
    private static IEnumerable<string> ReadTasks(TextReader input)
    {
        while (input.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                yield return line;
            }
        }
    }

    private static string Shorten(string payload)
    {
        var line = payload.ReplaceLineEndings(" ");
        return line.Length <= 80 ? line : string.Concat(line.AsSpan(0, 79), "…");
    }

    private static (string Name, string TaskId, string LeaseId) ValidTaskCall(ParseResult parse)
    {
        var name = ValidName(parse);
        var taskId = parse.GetValue(TaskId)!;
        var leaseId = parse.GetValue(LeaseId)!;
        Cli.Validate(() => { WorkQueueTaskIds.Validate(taskId); LeaseIds.Validate(leaseId); return 0; });
        return (name, taskId, leaseId);
    }

    private static string ValidName(ParseResult parse)
    {
        var name = parse.GetValue(Name)!;
        return Cli.Validate(() => { QueueArguments.ValidateQueueName(name); return name; });
    }
}
