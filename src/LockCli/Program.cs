using System.CommandLine;
using LockService.Cli;
using LockService.Cli.Commands;

var root = new RootCommand("lockctl: run commands under distributed locks of the Orleans lock service, and work off its queues.")
{
    RunCommand.Create(),
    AdminCommands.Status(),
    AdminCommands.Acquire(),
    AdminCommands.Refresh(),
    AdminCommands.Release(),
    SemaphoreCommands.Create(),
    WorkCommand.Create(),
    QueueCommands.Create(),
};
GlobalOptions.AddTo(root);

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Cli.Error(error.Message);
    }

    Cli.Error("see 'lockctl --help'.");
    return ExitCodes.Usage;
}

try
{
    // lockctl handles SIGINT/SIGTERM itself (forwarding them to the command), so the parser must not.
    return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
}
catch (UsageException exception)
{
    Cli.Error(exception.Message);
    return ExitCodes.Usage;
}
catch (ClusterUnavailableException exception)
{
    Cli.Error(exception.Message);
    return ExitCodes.Unavailable;
}
catch (Exception exception)
{
    Cli.Error($"unexpected error: {exception.GetType().Name}: {exception.Message}");
    return ExitCodes.Internal;
}
