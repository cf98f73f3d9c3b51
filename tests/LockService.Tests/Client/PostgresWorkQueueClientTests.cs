using LockService.Tests.Infrastructure;

namespace LockService.Tests.Client;

[Collection(PostgresClusterCollection.Name)]
public sealed class PostgresWorkQueueClientTests(PostgresClusterFixture fixture) : WorkQueueClientTestCases<PostgresClusterFixture>(fixture);
