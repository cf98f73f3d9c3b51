using System.CommandLine;
using System.Globalization;
using LockService.Client;

namespace LockService.Cli.Commands;

/// <summary>
/// <c>lockctl semaphore set-limit | force-release</c> for operators, and how <c>status</c> and <c>run --slots</c> show
/// a semaphore: its holders by slot (owner, fencing token, expiry), never their lease ids.
/// </summary>
internal static class SemaphoreCommands
{
    private static readonly Argument<string> Name = new("name") { Description = "The semaphore's name." };

    public static Command Create()
    {
        var command = new Command("semaphore", "Operate counting semaphores (the ones 'lockctl run NAME --slots N' holds).");
        command.Add(SetLimit());
        command.Add(ForceRelease());
        return command;
    }

    /// <summary>Whether a semaphore of this name was ever used: a limit is set, a token was granted, or someone waits.</summary>
    public static bool Exists(SemaphoreDescription state) => state.MaxCount > 0 || state.FencingToken > 0 || state.WaitingCount > 0;

    /// <summary>The semaphore and its holders, one line each, as <c>status</c> prints them.</summary>
    public static IEnumerable<string> Describe(SemaphoreDescription state)
    {
        yield return Exists(state)
            ? $"semaphore '{state.SemaphoreName}': {state.Holders.Count} of {state.MaxCount} slots held, last fencing token {state.FencingToken}, {state.WaitingCount} waiting"
            : $"semaphore '{state.SemaphoreName}': never used (no limit set), {state.WaitingCount} waiting";
        foreach (var holder in state.Holders.OrderBy(h => h.Slot))
        {
            yield return $"  slot {holder.Slot}: held by {holder.Owner}, fencing token {holder.FencingToken}, acquired {holder.AcquiredAt:u}, expires {holder.ExpiresAt:u}";
        }
    }

    /// <summary>The semaphore as JSON-ready values (holders without lease ids).</summary>
    public static Dictionary<string, object?> ToJson(SemaphoreDescription state) => new()
    {
        ["name"] = state.SemaphoreName,
        ["maxCount"] = state.MaxCount,
        ["fencingToken"] = state.FencingToken,
        ["waiting"] = state.WaitingCount,
        ["holders"] = state.Holders.OrderBy(h => h.Slot).Select(h => new Dictionary<string, object?>
        {
            ["slot"] = h.Slot,
            ["owner"] = h.Owner,
            ["fencingToken"] = h.FencingToken,
            ["acquiredAt"] = h.AcquiredAt,
            ["expiresAt"] = h.ExpiresAt,
        }).ToArray(),
    };

    /// <summary>What <c>run --slots</c> says when every slot is taken.</summary>
    public static async Task<string> BusyAsync(LockClientConnection connection, string name)
    {
        var state = await connection.Grains.GetGrain<ISemaphoreGrain>(name).Describe();
        var holders = string.Join(", ", state.Holders.OrderBy(h => h.Slot).Select(h => $"slot {h.Slot}: {h.Owner}"));
        return $"semaphore '{name}' has all {state.MaxCount} slots held ({holders}); the command did not run.";
    }

    private static Command SetLimit()
    {
        var limit = new Argument<int>("limit") { Description = "The new limit: at least 1, at most the silo's cap (default 10000)." };
        var command = new Command("set-limit", "Set a semaphore's limit. Raising it grants waiters at once; lowering it revokes nobody, new grants wait until fewer than the new limit hold.") { Name, limit };
        command.SetAction(async (parse, _) =>
        {
            var name = ValidName(parse);
            var maxCount = parse.GetValue(limit);
            Cli.Validate(() => { SemaphoreArguments.ValidateMaxCount(maxCount, cap: int.MaxValue); return maxCount; });
            await using var connection = await GlobalOptions.ConnectAsync(parse);
            SemaphoreDescription state;
            try
            {
                state = await connection.Grains.GetGrain<ISemaphoreGrain>(name).SetLimit(maxCount);
            }
            catch (ArgumentException exception)
            {
                // Above the silo's configured cap: its message names the cap.
                throw new UsageException(exception.Message);
            }

            Console.WriteLine($"semaphore '{name}': limit {state.MaxCount}, {state.Holders.Count} held, {state.WaitingCount} waiting");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ForceRelease()
    {
        var slot = new Option<int?>("--slot") { Description = "End only the lease in this slot (default: every lease)." };
        slot.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0)
            {
                result.AddError("invalid --slot: a slot is 0 or more (slots run from 0 to the limit − 1).");
            }
        });
        var command = new Command("force-release", "Operator break-glass: end the lease in one slot (--slot K) or every lease of a semaphore. Their holders' next refresh is refused.") { Name, slot };
        command.SetAction(async (parse, _) =>
        {
            var name = ValidName(parse);
            var which = parse.GetValue(slot);
            await using var connection = await GlobalOptions.ConnectAsync(parse);
            var ended = await connection.Grains.GetGrain<ISemaphoreGrain>(name).ForceRelease(which);
            var scope = which is { } k ? $"slot {k.ToString(CultureInfo.InvariantCulture)}" : "every slot";
            Console.WriteLine($"semaphore '{name}': ended {ended} lease{(ended == 1 ? "" : "s")} ({scope})");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string ValidName(ParseResult parse)
    {
        var name = parse.GetValue(Name)!;
        return Cli.Validate(() => { LockArguments.ValidateName(name); return name; });
    }
}
