using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
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

    private static readonly Option<bool> Shell = new("--shell") { Description = "Run COMMAND through /bin/sh -c." };

    private static readonly Option<int> BusyExitCode = new("--busy-exit-code")
    {
        Description = $"Exit code when the lock is held elsewhere and the command did not run (default {ExitCodes.Busy}).",
        DefaultValueFactory = _ => ExitCodes.Busy,
    };

    private static readonly Option<string> OnLost = new("--on-lost")
    {
        Description = "When the lock is lost while the command runs: kill (default: SIGTERM the command's process group, SIGKILL after --kill-grace, at the latest when the lease can end) or ignore.",
        DefaultValueFactory = _ => "kill",
    };

    private static readonly Option<TimeSpan> KillGrace = new("--kill-grace")
    {
        Description = "Time between SIGTERM and SIGKILL when the lock is lost (default 2s). Loss is signalled a tenth of the TTL before the lease's deadline, and SIGKILL is sent by that deadline even if the grace is longer, so the command never runs once another node can hold the lock.",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(2),
        CustomParser = DurationOption.Parse("--kill-grace", allowZero: true),
    };

    public static Command Create()
    {
        OnLost.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not ("kill" or "ignore"))
            {
                result.AddError($"invalid --on-lost '{result.GetValueOrDefault<string>()}': expected kill or ignore.");
            }
        });
        BusyExitCode.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 255)
            {
                result.AddError("invalid --busy-exit-code: it must be between 0 and 255.");
            }
        });
        var command = new Command("run", "Run a command while holding a lock (or, with --slots N, one of N semaphore slots); exit 75 at once if none is free.")
        {
            Name, Command, Slots, Ttl, Wait, GuardTime, Owner, Node, Shell, BusyExitCode, OnLost, KillGrace,
        };
        command.SetAction((parse, _) => RunAsync(parse));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse)
    {
        var name = parse.GetValue(Name)!;
        var arguments = parse.GetValue(Command)!;
        var guardTime = parse.GetValue(GuardTime);
        var killOnLost = parse.GetValue(OnLost) == "kill";
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
        using var interrupted = new CancellationTokenSource();
        ChildProcess? child = null;
        var exitSignal = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            exitSignal = context.Signal switch { PosixSignal.SIGINT => 2, PosixSignal.SIGTERM => 15, PosixSignal.SIGHUP => 1, _ => 3 };
            if (child is { } running)
            {
                running.Signal((PosixSignalNumber)exitSignal);
            }
            else
            {
                interrupted.Cancel();
            }
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

        HeldLease? handle;
        try
        {
            handle = slots is { } maxCount
                ? HeldLease.Of(await locks.CreateSemaphore(name, maxCount, options).TryAcquireAsync(parse.GetValue(Wait), interrupted.Token))
                : HeldLease.Of(await locks.CreateLock(name, options).TryAcquireAsync(parse.GetValue(Wait), interrupted.Token));
        }
        catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
        {
            Cli.Error($"interrupted while waiting for {(slots is null ? "lock" : "semaphore")} '{name}'; the command did not run.");
            return 128 + exitSignal;
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
        var lost = 0;
        await using (handle)
        {
            try
            {
                child = ChildProcess.Start(arguments, parse.GetValue(Shell), handle.Environment);
            }
            catch (Win32Exception exception)
            {
                Cli.Error($"cannot run '{arguments[0]}': {exception.Message}");
                return ExitCodes.CommandNotFound;
            }

            using var onLost = handle.LostToken.Register(() =>
            {
                Interlocked.Exchange(ref lost, 1);
                if (!killOnLost)
                {
                    Cli.Error($"lost {handle.Description} (fencing token {handle.FencingToken}) while the command runs; --on-lost ignore: letting it finish.");
                    return;
                }

                // Loss fires a safety margin before the lease's local deadline: the kill must land inside that margin,
                // since another node may be granted the lock once the lease ends.
                var grace = parse.GetValue(KillGrace);
                var leaseLeft = handle.Remaining;
                var killIn = grace < leaseLeft ? grace : leaseLeft > TimeSpan.Zero ? leaseLeft : TimeSpan.Zero;
                Cli.Error($"lost {handle.Description} (fencing token {handle.FencingToken}) while the command runs; sending SIGTERM to it, SIGKILL in {Durations.Describe(killIn)}.");
                child.Signal(PosixSignalNumber.Terminate);
                _ = Task.Delay(killIn).ContinueWith(_ => child.Signal(PosixSignalNumber.Kill), TaskScheduler.Default);
            });

            var exitCode = await child.WaitForExitAsync();
            child.Dispose();
            if (Volatile.Read(ref lost) != 0)
            {
                return killOnLost ? ExitCodes.LockLost : exitCode;
            }

            // Guard time: the lease, not this process, keeps the lock until acquisition + guard time.
            await handle.ReleaseAfterAsync(guardTime - Stopwatch.GetElapsedTime(acquired));
            return exitCode;
        }
    }

    private static async Task<string> LockBusyAsync(LockClientConnection connection, string name)
    {
        var state = await connection.Grains.GetGrain<ILockGrain>(name).Describe();
        return $"lock '{name}' is held by {state.Holder ?? "another owner"} (fencing token {state.FencingToken}); the command did not run.";
    }
}
