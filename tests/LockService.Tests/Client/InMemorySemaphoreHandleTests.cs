using LockService.Tests.Infrastructure;

namespace LockService.Tests.Client;

[Collection(InMemoryClusterCollection.Name)]
public sealed class InMemorySemaphoreHandleTests(InMemoryClusterFixture fixture) : SemaphoreHandleTestCases<InMemoryClusterFixture>(fixture);
