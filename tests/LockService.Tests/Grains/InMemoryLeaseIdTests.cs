using LockService.Tests.Infrastructure;

namespace LockService.Tests.Grains;

[Collection(InMemoryClusterCollection.Name)]
public sealed class InMemoryLeaseIdTests(InMemoryClusterFixture fixture) : LeaseIdTestCases<InMemoryClusterFixture>(fixture);
