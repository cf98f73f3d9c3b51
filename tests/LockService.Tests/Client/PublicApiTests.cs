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
}
