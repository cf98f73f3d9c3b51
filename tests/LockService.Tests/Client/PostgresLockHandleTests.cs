using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Client;

[Collection(PostgresClusterCollection.Name)]
public sealed class PostgresLockHandleTests(PostgresClusterFixture fixture) : LockHandleTestCases<PostgresClusterFixture>(fixture)
{
    [Fact]
    public async Task The_readme_snippet_works_against_a_postgres_backed_multi_silo_cluster()
    {
        var locks = Locks;
        await using var handle = await locks.CreateLock("backup-" + Guid.NewGuid().ToString("N")).AcquireAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, Fixture.Cluster.GetActiveSilos().Count());
        Assert.True(handle.FencingToken > 0);
    }
}
