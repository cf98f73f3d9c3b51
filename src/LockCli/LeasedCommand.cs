using System.ComponentModel;
using System.Runtime.InteropServices;

namespace LockService.Cli;

/// <summary>
/// The command of <c>lockctl run</c> and <c>lockctl work</c>, run while a lease is held. Created before the lease is
/// sought: until the command starts, SIGINT, SIGTERM and SIGHUP cancel <see cref="Interrupted"/> (the wait stops);
/// once it runs they are forwarded to it. When the lease is lost while it runs, the command's process group gets
/// SIGTERM, then SIGKILL after the grace or at the lease's local deadline, whichever is first (unless told to ignore it).
/// </summary>
internal sealed class LeasedCommand : IDisposable
{
    private readonly CancellationTokenSource _interrupted = new();
    private readonly PosixSignalRegistration[] _signals;
    private ChildProcess? _child;
    private int _exitSignal;

    public LeasedCommand()
    {
        _signals =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
        ];
    }

    /// <summary>Cancelled by a signal that arrived before the command started.</summary>
    public CancellationToken Interrupted => _interrupted.Token;

    /// <summary>What lockctl exits with after a signal stopped its wait: 128 + the signal's number.</summary>
    public int InterruptedExitCode => 128 + Volatile.Read(ref _exitSignal);

    /// <summary>
    /// Runs the command while <paramref name="lease"/> is held and returns how it ended, or null (after saying why on
    /// stderr) when it could not be started. <paramref name="standardInput"/>, when given, is written to the command's
    /// stdin, which is then closed; otherwise the command keeps lockctl's stdin.
    /// </summary>
    public async Task<(int ExitCode, bool Lost)?> RunAsync(
        HeldLease lease, IReadOnlyList<string> arguments, bool shell, bool killOnLost, TimeSpan killGrace, string? standardInput = null)
    {
        ChildProcess child;
        try
        {
            child = ChildProcess.Start(arguments, shell, lease.Environment, standardInput);
        }
        catch (Win32Exception exception)
        {
            Cli.Error($"cannot run '{arguments[0]}': {exception.Message}");
            return null;
        }

        Volatile.Write(ref _child, child);
        var lost = 0;
        int exitCode;
        // Disposed when the command has exited: a loss after that (say, once the lease is let go) is not this run's.
        using (lease.LostToken.Register(() =>
               {
                   Interlocked.Exchange(ref lost, 1);
                   if (!killOnLost)
                   {
                       Cli.Error($"lost {lease.Description} ({lease.TokenLabel} {lease.FencingToken}) while the command runs; --on-lost ignore: letting it finish.");
                       return;
                   }

                   // Loss fires a safety margin before the lease's local deadline: the kill must land inside that margin,
                   // since the lease may be granted to another once it ends.
                   var leaseLeft = lease.Remaining;
                   var killIn = killGrace < leaseLeft ? killGrace : leaseLeft > TimeSpan.Zero ? leaseLeft : TimeSpan.Zero;
                   Cli.Error($"lost {lease.Description} ({lease.TokenLabel} {lease.FencingToken}) while the command runs; sending SIGTERM to it, SIGKILL in {Durations.Describe(killIn)}.");
                   child.Signal(PosixSignalNumber.Terminate);
                   _ = Task.Delay(killIn).ContinueWith(_ => child.Signal(PosixSignalNumber.Kill), TaskScheduler.Default);
               }))
        {
            exitCode = await child.WaitForExitAsync();
        }

        Volatile.Write(ref _child, null);
        child.Dispose();
        return (exitCode, Volatile.Read(ref lost) != 0);
    }

    public void Dispose()
    {
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }

        _interrupted.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        var number = context.Signal switch { PosixSignal.SIGINT => 2, PosixSignal.SIGTERM => 15, PosixSignal.SIGHUP => 1, _ => 3 };
        Volatile.Write(ref _exitSignal, number);
        if (Volatile.Read(ref _child) is { } running)
        {
            running.Signal((PosixSignalNumber)number);
        }
        else
        {
            _interrupted.Cancel();
        }
    }
}
