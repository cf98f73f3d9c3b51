using LockService.Tests.Infrastructure;

namespace LockService.Tests.Client;

[Collection(PostgresClusterCollection.Name)]
public sealed class PostgresSemaphoreHandleTests(PostgresClusterFixture fixture) : SemaphoreHandleTestCases<PostgresClusterFixture>(fixture);
