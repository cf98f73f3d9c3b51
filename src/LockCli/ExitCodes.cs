namespace LockService.Cli;

/// <summary>
/// lockctl's exit codes. When the command ran, lockctl exits with the command's own code; the codes below are the
/// ones lockctl itself uses (the sysexits.h values where one fits), so a crontab or script can tell them apart.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>EX_USAGE: a bad flag, duration or argument. The command did not run.</summary>
    public const int Usage = 64;

    /// <summary>EX_UNAVAILABLE: the lock cluster could not be reached. The command did not run.</summary>
    public const int Unavailable = 69;

    /// <summary>EX_SOFTWARE: an unexpected internal error.</summary>
    public const int Internal = 70;

    /// <summary>EX_TEMPFAIL (default of --busy-exit-code): the lock is held elsewhere; the command did not run.</summary>
    public const int Busy = 75;

    /// <summary>
    /// <c>lockctl work</c> and <c>lockctl queue claim</c>: no task came within --wait; nothing ran. The same value as
    /// <see cref="Busy"/>, so a crontab treats "nothing to do" like "someone else does it".
    /// </summary>
    public const int NoTask = Busy;

    /// <summary>
    /// The lock (slot, task claim) was lost while the command ran; the command was terminated (unless --on-lost ignore).
    /// For <c>lockctl work</c> also: the command succeeded, but the queue refused the completion (the claim had ended).
    /// </summary>
    public const int LockLost = 76;

    /// <summary>The command could not be started (not found or not executable), as shells report it.</summary>
    public const int CommandNotFound = 127;
}
