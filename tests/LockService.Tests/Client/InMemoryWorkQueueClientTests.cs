using LockService.Tests.Infrastructure;

namespace LockService.Tests.Client;

[Collection(InMemoryClusterCollection.Name)]
public sealed class InMemoryWorkQueueClientTests(InMemoryClusterFixture fixture) : WorkQueueClientTestCases<InMemoryClusterFixture>(fixture);
