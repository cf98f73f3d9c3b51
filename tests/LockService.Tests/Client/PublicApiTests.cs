using LockService.Client;

namespace LockService.Tests.Client;

/// <summary>The shape users rely on: sealed types, a handle only the library can create.</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Public_classes_of_the_client_and_contracts_are_sealed_or_static()
    {
        var types = typeof(LockProvider).Assembly.GetExportedTypes().Concat(typeof(ILockGrain).Assembly.GetExportedTypes())
            .Where(t => t.IsClass && !(t.IsAbstract && t.IsSealed));
        Assert.All(types, t => Assert.True(t.IsSealed, $"{t.FullName} should be sealed"));
    }

    [Fact]
    public void A_lock_handle_has_no_public_constructor_and_is_disposable_both_ways()
    {
        Assert.Empty(typeof(LockHandle).GetConstructors());
        Assert.Empty(typeof(DistributedLock).GetConstructors());
        Assert.True(typeof(IAsyncDisposable).IsAssignableFrom(typeof(LockHandle)));
        Assert.True(typeof(IDisposable).IsAssignableFrom(typeof(LockHandle)));
    }

    [Fact]
    public void A_semaphore_handle_has_no_public_constructor_and_is_disposable_both_ways()
    {
        Assert.Empty(typeof(SemaphoreHandle).GetConstructors());
        Assert.Empty(typeof(DistributedSemaphore).GetConstructors());
        Assert.True(typeof(IAsyncDisposable).IsAssignableFrom(typeof(SemaphoreHandle)));
        Assert.True(typeof(IDisposable).IsAssignableFrom(typeof(SemaphoreHandle)));
        Assert.All(
            new[] { nameof(DistributedSemaphore.TryAcquireAsync), nameof(DistributedSemaphore.AcquireAsync) }.Select(n => typeof(DistributedSemaphore).GetMethod(n)!),
            m => Assert.Null(m.GetCustomAttributes(typeof(System.Runtime.CompilerServices.AsyncStateMachineAttribute), false).SingleOrDefault()));
    }

    [Fact]
    public void A_task_claim_has_no_public_constructor_and_is_disposable_both_ways()
    {
        Assert.Empty(typeof(TaskClaim).GetConstructors());
        Assert.Empty(typeof(WorkQueue).GetConstructors());
        Assert.True(typeof(IAsyncDisposable).IsAssignableFrom(typeof(TaskClaim)));
        Assert.True(typeof(IDisposable).IsAssignableFrom(typeof(TaskClaim)));
        Assert.All(
            new[] { nameof(WorkQueue.TryClaimAsync), nameof(WorkQueue.ClaimAsync), nameof(WorkQueue.ProcessAsync) }.Select(n => typeof(WorkQueue).GetMethod(n)!),
            m => Assert.Null(m.GetCustomAttributes(typeof(System.Runtime.CompilerServices.AsyncStateMachineAttribute), false).SingleOrDefault()));
    }

    [Fact]
    public void Lock_options_are_the_documented_settings()
    {
        // SafetyMargin joined in issue #12: HandleLostToken fires this long before the local lease deadline.
        var settings = typeof(LockOptions).GetProperties().Select(p => $"{p.Name}:{p.PropertyType.Name}{(Nullable.GetUnderlyingType(p.PropertyType) is { } inner ? "<" + inner.Name + ">" : "")}").Order();
        Assert.Equal(["MaxHoldTime:Nullable`1<TimeSpan>", "Owner:String", "RenewInterval:Nullable`1<TimeSpan>", "SafetyMargin:Nullable`1<TimeSpan>", "Ttl:TimeSpan"], settings);
    }

    [Fact]
    public void Acquire_calls_validate_synchronously_rather_than_in_the_returned_task()
    {
        // Not `async` methods: a negative timeout throws at the call (issue #12).
        Assert.All(
            new[] { nameof(DistributedLock.TryAcquireAsync), nameof(DistributedLock.AcquireAsync) }.Select(n => typeof(DistributedLock).GetMethod(n)!),
            m => Assert.Null(m.GetCustomAttributes(typeof(System.Runtime.CompilerServices.AsyncStateMachineAttribute), false).SingleOrDefault()));
    }
}
