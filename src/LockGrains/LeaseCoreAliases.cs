// The lock's wait queue is the lease core's, answering with a LockResult and keyed by owner; these names keep the
// lock's code reading as it did before the queue moved to src/LeaseCore.
global using WaitQueue = LockService.Leases.WaitQueue<LockService.LockResult>;
global using Waiter = LockService.Leases.Waiter<LockService.LockResult>;
