// One collection at a time: a 2-core CI machine runs in-process silos, PostgreSQL and the silo processes the
// cluster tests start, and the figures must not depend on how those happen to overlap.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
