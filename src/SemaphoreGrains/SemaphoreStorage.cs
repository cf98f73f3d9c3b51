using LockService.Grains;
using LockService.Leases;

namespace LockService.Semaphores;

/// <summary>
/// Where semaphores are stored: the lock's storage provider (<see cref="LockGrainServices.StorageProviderName"/>), but
/// a state name of their own. ADO.NET grain storage keys a row by key, state name and service id, not by grain type,
/// so a lock and a semaphore of the same name keep separate rows only because their state names differ.
/// </summary>
public static class SemaphoreStorage
{
    /// <summary>The state name semaphore records are stored under.</summary>
    public const string StateName = "semaphore";

    /// <summary>The storage id of semaphore <paramref name="semaphoreName"/>.</summary>
    public static GrainId KeyFor(string semaphoreName) => StorageKeys.For("semaphore", semaphoreName);
}
