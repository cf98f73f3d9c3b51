namespace LockService;

/// <summary>What a lock call did.</summary>
[GenerateSerializer, Alias("LockService.LockOutcome")]
public enum LockOutcome
{
    /// <summary>A new lease was granted with a new, larger fencing token.</summary>
    Granted = 1,

    /// <summary>The caller already held the lock; its lease was extended and its fencing token kept.</summary>
    Renewed = 2,

    /// <summary>Another owner holds a valid lease; nothing changed.</summary>
    Busy = 3,

    /// <summary>The caller is not the current holder (wrong owner or token, or its lease expired); nothing changed.</summary>
    NotHolder = 4,

    /// <summary>The holder's lease was ended; the lock is free.</summary>
    Released = 5,

    /// <summary>The caller's lease had already ended (released or reaped after expiry); nothing changed.</summary>
    AlreadyReleased = 6,
}
