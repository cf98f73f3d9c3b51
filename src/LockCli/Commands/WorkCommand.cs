using System.CommandLine;
using System.Globalization;
using LockService.Client;

namespace LockService.Cli.Commands;

/// <summary>
/// <c>lockctl work NAME [options] -- COMMAND [ARGS...]</c>: claims one task of the queue NAME and runs the command on it,
/// the payload on its stdin, keeping the claim alive while it runs. Exit 0 completes the task; any other status abandons
/// it (it is claimed again, or goes dead after its last attempt). lockctl exits with the command's status.
/// </summary>
internal static class WorkCommand
{
    private static readonly Argument<string> Name = new("name") { Description = "The queue's name." };

    private static readonly Argument<string[]> Command = new("command")
    {
        Description = "The command and its arguments (after --). It reads the task's payload on stdin.",
        Arity = ArgumentArity.OneOrMore,
    };

    private static readonly Option<TimeSpan> Ttl = new("--ttl")
    {
        Description = "The claim's lease length, renewed in the background while the command runs (default 30s).",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
        CustomParser = DurationOption.Parse("--ttl"),
    };

    private static readonly Option<TimeSpan> Wait = new("--wait")
    {
        Description = $"How long to wait for a task: 0 (default: exit {ExitCodes.NoTask} at once when none is pending), a duration, or 'forever'.",
        DefaultValueFactory = _ => TimeSpan.Zero,
        CustomParser = DurationOption.ParseOrForever("--wait"),
    };

    private static readonly Option<string?> Worker = new("--worker") { Description = "Worker name recorded with the claim and counted in 'queue stats' (default: host name)." };

    public static Command Create()
    {
        var command = new Command(
            "work",
            $"Claim one task of a queue and run a command on it (payload on stdin; TASK_ID, TASK_CLAIM_TOKEN, TASK_ATTEMPT in its environment): exit 0 completes the task, any other status abandons it. Exits {ExitCodes.NoTask} when no task came.")
        {
            Name, Command, Ttl, Wait, Worker, CommandOptions.Shell, CommandOptions.OnLost, CommandOptions.KillGrace,
        };
        command.SetAction((parse, _) => WorkAsync(parse));
        return command;
    }

    private static async Task<int> WorkAsync(ParseResult parse)
    {
        var name = parse.GetValue(Name)!;
        var arguments = parse.GetValue(Command)!;
        var killOnLost = CommandOptions.KillOnLost(parse);
        var worker = parse.GetValue(Worker) ?? Environment.MachineName;
        Cli.Validate(() => { QueueArguments.ValidateQueueName(name); QueueArguments.ValidateWorker(worker); return name; });
        var options = Cli.Validate(() => new LockOptions { Ttl = parse.GetValue(Ttl), Owner = worker });
        var wait = parse.GetValue(Wait);

        await using var connection = await GlobalOptions.ConnectAsync(parse);
        var queue = Cli.Validate(() => connection.Locks.CreateQueue(name, options));

        // Ctrl-C or SIGTERM while waiting stops the wait; once the command runs, they are forwarded to it instead.
        using var command = new LeasedCommand();
        TaskClaim? claim;
        try
        {
            claim = await queue.TryClaimAsync(wait, command.Interrupted);
        }
        catch (OperationCanceledException) when (command.Interrupted.IsCancellationRequested)
        {
            Cli.Error($"interrupted while waiting for a task of queue '{name}'; the command did not run.");
            return command.InterruptedExitCode;
        }
        catch (ArgumentException exception)
        {
            // A TTL above the silo's maximum, say: the silo's message names the rule.
            throw new UsageException($"{exception.Message} The command did not run.");
        }

        if (claim is null)
        {
            Cli.Error(wait == TimeSpan.Zero
                ? $"queue '{name}' has no pending task; the command did not run."
                : $"queue '{name}' had no task within {Durations.Describe(wait)}; the command did not run.");
            return ExitCodes.NoTask;
        }

        // Disposing abandons the claim on every path that did not complete it.
        await using (claim)
        {
            if (await command.RunAsync(HeldLease.Of(claim), arguments, parse.GetValue(CommandOptions.Shell), killOnLost, parse.GetValue(CommandOptions.KillGrace), claim.Payload) is not { } ran)
            {
                await claim.AbandonAsync($"lockctl could not run '{arguments[0]}'");
                return ExitCodes.CommandNotFound;
            }

            if (ran.Lost && killOnLost)
            {
                return ExitCodes.LockLost;
            }

            if (ran.ExitCode != 0)
            {
                await claim.AbandonAsync(string.Create(CultureInfo.InvariantCulture, $"the command exited with status {ran.ExitCode}"));
                return ran.ExitCode;
            }

            return await CompleteAsync(claim);
        }
    }

    /// <summary>Completes the task the command did: 0, or 76 when the claim had ended and the queue refused.</summary>
    private static async Task<int> CompleteAsync(TaskClaim claim)
    {
        try
        {
            await claim.CompleteAsync();
            return ExitCodes.Success;
        }
        catch (TaskLeaseLostException exception)
        {
            Cli.Error($"the command succeeded, but the completion was refused: {exception.Message}");
            return ExitCodes.LockLost;
        }
        catch (Exception exception) when (UnknownOutcome.IsRetriable(exception))
        {
            Cli.Error($"the command succeeded, but completing task '{claim.TaskId}' of queue '{claim.QueueName}' got no answer ({exception.Message}); if it did not land, the task is claimed again when its lease ends.");
            return ExitCodes.Unavailable;
        }
    }
}
