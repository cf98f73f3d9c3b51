using System.CommandLine;

namespace LockService.Cli;

/// <summary>The options of a command run under a lease, shared by <c>lockctl run</c> and <c>lockctl work</c>.</summary>
internal static class CommandOptions
{
    public static readonly Option<bool> Shell = new("--shell") { Description = "Run COMMAND through /bin/sh -c." };

    public static readonly Option<string> OnLost = CreateOnLost();

    public static readonly Option<TimeSpan> KillGrace = new("--kill-grace")
    {
        Description = "Time between SIGTERM and SIGKILL when the lease (lock, slot or task claim) is lost (default 2s). Loss is signalled a tenth of the TTL before the lease's deadline, and SIGKILL is sent by that deadline even if the grace is longer, so the command never runs once another node can hold the lease.",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(2),
        CustomParser = DurationOption.Parse("--kill-grace", allowZero: true),
    };

    /// <summary>Whether the command is to be stopped when the lease is lost (<c>--on-lost kill</c>, the default).</summary>
    public static bool KillOnLost(ParseResult parse) => parse.GetValue(OnLost) == "kill";

    private static Option<string> CreateOnLost()
    {
        var option = new Option<string>("--on-lost")
        {
            Description = "When the lease (lock, slot or task claim) is lost while the command runs: kill (default: SIGTERM the command's process group, SIGKILL after --kill-grace, at the latest when the lease can end) or ignore.",
            DefaultValueFactory = _ => "kill",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not ("kill" or "ignore"))
            {
                result.AddError($"invalid --on-lost '{result.GetValueOrDefault<string>()}': expected kill or ignore.");
            }
        });
        return option;
    }
}
