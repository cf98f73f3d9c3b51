using LockService.Leases;

namespace LockService.Grains;

/// <summary>
/// The lock's <see cref="DurableRecord{TState}"/>, hooked into the grain by overrides rather than delegates: every held
/// lock keeps one activation in memory, and three delegates bound to it (read, caught up, lost) were three objects
/// more per lock than this one (issue 13's follow-up on memory per held lock).
/// </summary>
public sealed partial class LockGrain
{
    private sealed class LockRecord : DurableRecord<LockState>
    {
        private readonly LockGrain _grain;

        public LockRecord(LockGrain grain)
            : base(
                grain._storage,
                LockGrainServices.StateName,
                grain.StorageId,
                new DurableRecordSubject("Lock", grain.GetGrainId(), "Retry with the same lease id (or owner)."),
                grain._logger) =>
            _grain = grain;

        // Carries a record stored under the lock's former key over (LockGrain.ReadStoredAsync).
        protected override Task<GrainState<LockState>> ReadStoredAsync() => _grain.ReadStoredAsync();

        // Storage and memory agree again: a lazily written release is no longer pending (LockGrain.LazyRelease.cs).
        protected override void OnCaughtUp() => _grain.StorageCaughtUp();

        // The activation cannot trust its state any more: the next call starts over in a fresh one.
        protected override void OnLost() => _grain.DeactivateOnIdle();
    }
}
