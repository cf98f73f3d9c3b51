using System.CommandLine;
using System.Diagnostics;
using LockService.Client;

namespace LockService.Cli.Commands;

/// <summary>
/// <c>lockctl run NAME [options] -- COMMAND [ARGS...]</c>: the cron-job wrapper. It holds the lock NAME, or with
/// <c>--slots N</c> one slot of the semaphore NAME, while the command runs.
/// </summary>
internal static class RunCommand
{
    private static readonly Argument<string> Name = new("name") { Description = "The lock's name (the semaphore's with --slots)." };

    private static readonly Option<int?> Slots = new("--slots")
    {
        Description = "Hold one slot of the counting semaphore NAME with this limit instead of the lock NAME: at most N commands run at once. Every run of NAME must give the same N. The command also gets LOCK_SLOT.",
    };

    private static readonly Argument<string[]> Command = new("command")
    {
        Description = "The command and its arguments (after --).",
        Arity = ArgumentArity.OneOrMore,
    };

    private static readonly Option<TimeSpan> Ttl = new("--ttl")
    {
        Description = "Lease length, renewed in the background while the command runs (default 30s).",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
        CustomParser = DurationOption.Parse("--ttl"),
    };

    private static readonly Option<TimeSpan> Wait = new("--wait")
    {
        Description = "How long to wait in the lock's queue: 0 (default: give up at once), a duration, or 'forever'.",
        DefaultValueFactory = _ => TimeSpan.Zero,
        CustomParser = DurationOption.ParseOrForever("--wait"),
    };

    private static readonly Option<TimeSpan> GuardTime = new("--guard-time")
    {
        Description = "Keep the lock held at least this long from acquisition, even if the command ends sooner (by the server's lease).",
        DefaultValueFactory = _ => TimeSpan.Zero,
        CustomParser = DurationOption.Parse("--guard-time", allowZero: true),
    };

    private static readonly Option<string?> Owner = new("--owner") { Description = "Owner identity to acquire as (default: NODE:pid:random)." };

    private static readonly Option<string?> Node = new("--node") { Description = "Node name used in the default owner (default: host name)." };

    private static readonly Option<int> BusyExitCode = new("--busy-exit-code")
    {
        Description = $"Exit code when the lock is held elsewhere and the command did not run (default {ExitCodes.Busy}).",
        DefaultValueFactory = _ => ExitCodes.Busy,
    };

    public static Command Create()
    {
        BusyExitCode.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 255)
            {
                result.AddError("invalid --busy-exit-code: it must be between 0 and 255.");
            }
        });
        var command = new Command("run", "Run a command while holding a lock (or, with --slots N, one of N semaphore slots); exit 75 at once if none is free.")
        {
            Name, Command, Slots, Ttl, Wait, GuardTime, Owner, Node, CommandOptions.Shell, BusyExitCode, CommandOptions.OnLost, CommandOptions.KillGrace,
        };
        command.SetAction((parse, _) => RunAsync(parse));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse)
    {
        var name = parse.GetValue(Name)!;
        var arguments = parse.GetValue(Command)!;
        var guardTime = parse.GetValue(GuardTime);
        var killOnLost = CommandOptions.KillOnLost(parse);
        var owner = parse.GetValue(Owner) ?? DefaultOwner.Create(parse.GetValue(Node));
        var options = Cli.Validate(() => new LockOptions { Ttl = parse.GetValue(Ttl), Owner = owner });
        Cli.Validate(() => { LockArguments.ValidateName(name); return name; });
        var slots = parse.GetValue(Slots);
        if (slots is { } limit)
        {
            // The lower bound only: the cap is the silo's setting, and the silo names it if exceeded.
            Cli.Validate(() => { SemaphoreArguments.ValidateMaxCount(limit, cap: int.MaxValue); return limit; });
        }

        await using var connection = await GlobalOptions.ConnectAsync(parse);
        var locks = connection.Locks;

        // Ctrl-C or SIGTERM while waiting stops the wait; once the command runs, they are forwarded to it instead.
        using var command = new LeasedCommand();
        HeldLease? handle;
        try
        {
            handle = slots is { } maxCount
                ? HeldLease.Of(await locks.CreateSemaphore(name, maxCount, options).TryAcquireAsync(parse.GetValue(Wait), command.Interrupted))
                : HeldLease.Of(await locks.CreateLock(name, options).TryAcquireAsync(parse.GetValue(Wait), command.Interrupted));
        }
        catch (OperationCanceledException) when (command.Interrupted.IsCancellationRequested)
        {
            Cli.Error($"interrupted while waiting for {(slots is null ? "lock" : "semaphore")} '{name}'; the command did not run.");
            return command.InterruptedExitCode;
        }
        catch (Exception exception) when (exception is SemaphoreLimitMismatchException or ArgumentException)
        {
            // Another limit than the semaphore's, or one above the silo's cap: the silo's message names the rule.
            throw new UsageException($"{exception.Message} The command did not run.");
        }

        if (handle is null)
        {
            Cli.Error(slots is null ? await LockBusyAsync(connection, name) : await SemaphoreCommands.BusyAsync(connection, name));
            return parse.GetValue(BusyExitCode);
        }

        var acquired = Stopwatch.GetTimestamp();
        await using (handle)
        {
            if (await command.RunAsync(handle, arguments, parse.GetValue(CommandOptions.Shell), killOnLost, parse.GetValue(CommandOptions.KillGrace)) is not { } ran)
            {
                return ExitCodes.CommandNotFound;
            }

            if (ran.Lost)
            {
                return killOnLost ? ExitCodes.LockLost : ran.ExitCode;
            }

            // Guard time: the lease, not this process, keeps the lock until acquisition + guard time.
            await handle.ReleaseAfterAsync(guardTime - Stopwatch.GetElapsedTime(acquired));
            return ran.ExitCode;
        }
    }

    private static async Task<string> LockBusyAsync(LockClientConnection connection, string name)
    {
        var state = await connection.Grains.GetGrain<ILockGrain>(name).Describe();
        return $"lock '{name}' is held by {state.Holder ?? "another owner"} (fencing token {state.FencingToken}); the command did not run.";
    }
}
