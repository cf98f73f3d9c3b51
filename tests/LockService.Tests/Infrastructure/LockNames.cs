using LockService.Testing;
namespace LockService.Tests.Infrastructure;

/// <summary>Every test works on lock names of its own, so no test sees another's state.</summary>
public static class LockNames
{
    public static string Unique(string purpose) => $"{purpose}-{Guid.NewGuid():N}";
}
