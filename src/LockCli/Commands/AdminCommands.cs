using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace LockService.Cli.Commands;

/// <summary><c>lockctl status | acquire | refresh | release</c>: for operators and for scripts that hold a lock across several commands.</summary>
internal static class AdminCommands
{
    private static readonly Argument<string> Name = new("name") { Description = "The lock's name." };

    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON." };

    private static readonly Option<bool> Semaphore = new("--semaphore") { Description = "Show only the semaphore NAME (the one 'run NAME --slots N' holds)." };

    private static readonly Option<string?> AcquireOwner = new("--owner") { Description = "Owner identity to acquire as (default: HOST:pid:random, printed after the token)." };

    private static readonly Option<string?> ReleaseOwner = new("--owner") { Description = "The owner 'lockctl acquire' printed (or was given); required with --token." };

    private static readonly Option<long?> Token = new("--token") { Description = "The fencing token 'lockctl acquire' printed; with --owner." };

    private static readonly Option<string?> LeaseId = new("--lease-id") { Description = "The lease id 'lockctl acquire' printed on its second line (a secret: it alone identifies your lease)." };

    public static Command Status()
    {
        var command = new Command("status", "Show a lock's holder, fencing token, acquisition and expiry times, and waiting count; and the holders of the semaphore of that name, if there is one.") { Name, Json, Semaphore };
        command.SetAction(async (parse, _) =>
        {
            var name = ValidName(parse);
            await using var connection = await GlobalOptions.ConnectAsync(parse);

            // A lock and a semaphore of one name are two things: show the semaphore when it exists (or when asked).
            var semaphore = await connection.Grains.GetGrain<ISemaphoreGrain>(name).Describe();
            if (parse.GetValue(Semaphore))
            {
                Console.WriteLine(parse.GetValue(Json) ? JsonSerializer.Serialize(SemaphoreCommands.ToJson(semaphore)) : string.Join(Environment.NewLine, SemaphoreCommands.Describe(semaphore)));
                return ExitCodes.Success;
            }

            var shown = SemaphoreCommands.Exists(semaphore) ? semaphore : null;
            var state = await connection.Grains.GetGrain<ILockGrain>(name).Describe();
            if (parse.GetValue(Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["name"] = state.LockName,
                    ["held"] = state.IsHeld,
                    ["holder"] = state.Holder,
                    ["fencingToken"] = state.FencingToken,
                    ["acquiredAt"] = state.AcquiredAt,
                    ["expiresAt"] = state.ExpiresAt,
                    ["waiting"] = state.WaitingCount,
                    ["semaphore"] = shown is null ? null : SemaphoreCommands.ToJson(shown),
                }));
                return ExitCodes.Success;
            }
            if (state.IsHeld)
            {
                Console.WriteLine($"lock '{name}': held by {state.Holder}, fencing token {state.FencingToken}, acquired {state.AcquiredAt:u}, expires {state.ExpiresAt:u}, {state.WaitingCount} waiting");
            }
            else
            {
                Console.WriteLine($"lock '{name}': free, last fencing token {state.FencingToken}, {state.WaitingCount} waiting");
            }

            foreach (var line in shown is null ? [] : SemaphoreCommands.Describe(shown))
            {
                Console.WriteLine(line);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Acquire()
    {
        var ttl = new Option<TimeSpan>("--ttl")
        {
            Description = "Lease length; nothing renews it, so choose it long enough or release explicitly (default 5m).",
            DefaultValueFactory = _ => TimeSpan.FromMinutes(5),
            CustomParser = DurationOption.Parse("--ttl"),
        };
        var wait = new Option<TimeSpan>("--wait")
        {
            Description = "How long to wait in the lock's queue (default 0), at most 30m per call.",
            DefaultValueFactory = _ => TimeSpan.Zero,
            CustomParser = DurationOption.Parse("--wait", allowZero: true),
        };
        var command = new Command(
            "acquire",
            "Acquire a lock and print 'TOKEN OWNER', then its lease id on a second line; release it later with 'lockctl release NAME --lease-id LEASE_ID' (or --token TOKEN --owner OWNER).")
        {
            Name, ttl, wait, AcquireOwner, Json,
        };
        command.SetAction(async (parse, _) =>
        {
            var name = ValidName(parse);
            var owner = ValidOwner(parse.GetValue(AcquireOwner) ?? DefaultOwner.Create());
            var lease = parse.GetValue(ttl);
            var patience = parse.GetValue(wait);
            Cli.Validate(() => { LockArguments.ValidateWait(patience); return 0; });
            await using var connection = await GlobalOptions.ConnectAsync(parse);
            var grain = connection.Grains.GetGrain<ILockGrain>(name);
            var result = patience == TimeSpan.Zero ? await grain.TryAcquire(owner, lease) : await grain.Acquire(owner, lease, patience);
            if (!result.Acquired)
            {
                Cli.Error($"lock '{name}' is held by {result.Holder ?? "another owner"}; not acquired.");
                return ExitCodes.Busy;
            }

            // The owner too: a release must name it, and a generated one is known only from here. The lease id goes on
            // a line of its own, so 'read -r TOKEN OWNER' keeps reading the first line as before. It is the caller's
            // secret, printed only here, and only for a new grant: the lock keeps its hash, so a renewal of this
            // owner's lease (a fixed --owner acquiring again) cannot tell it a second time.
            if (parse.GetValue(Json))
            {
                Console.WriteLine(ResultJson(result, owner));
            }
            else
            {
                Console.WriteLine($"{result.FencingToken.ToString(CultureInfo.InvariantCulture)} {owner}");
                if (result.LeaseId is { } leaseId)
                {
                    Console.WriteLine(leaseId);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Release()
    {
        var force = new Option<bool>("--force") { Description = "Operator break-glass: end the lease whoever holds it. The old holder's next refresh is refused." };
        var command = new Command(
            "release",
            "Release a lock acquired with 'lockctl acquire' (--lease-id, or --token and --owner), or end any holder's lease (--force).")
        {
            Name, LeaseId, Token, force, ReleaseOwner, Json,
        };
        command.Validators.Add(result =>
        {
            var forced = result.GetResult(force) is not null;
            var ways = (result.GetResult(LeaseId) is not null ? 1 : 0) + (result.GetResult(Token) is not null ? 1 : 0) + (forced ? 1 : 0);
            if (ways != 1)
            {
                result.AddError("release needs exactly one of --lease-id L or --token N (your own lock), or --force (break-glass).");
            }
            else if (!forced)
            {
                ValidateLeaseChoice(result);
            }
        });
        command.SetAction(async (parse, _) =>
        {
            var name = ValidName(parse);
            var forced = parse.GetValue(force);
            var leaseId = ValidLeaseId(parse);
            var owner = forced || leaseId is not null ? null : ValidOwner(parse.GetValue(ReleaseOwner)!);
            await using var connection = await GlobalOptions.ConnectAsync(parse);
            var grain = connection.Grains.GetGrain<ILockGrain>(name);
            var result = forced ? await grain.ForceRelease()
                : leaseId is not null ? await grain.ReleaseLease(leaseId)
                : await grain.Release(owner!, parse.GetValue(Token)!.Value);
            Console.WriteLine(parse.GetValue(Json) ? ResultJson(result, owner) : $"lock '{name}': {result.Outcome}");
            return result.Outcome is LockOutcome.Released or LockOutcome.AlreadyReleased ? ExitCodes.Success : 1;
        });
        return command;
    }

    public static Command Refresh()
    {
        var ttl = new Option<TimeSpan>("--ttl")
        {
            Description = "The new lease length, from now (default 5m).",
            DefaultValueFactory = _ => TimeSpan.FromMinutes(5),
            CustomParser = DurationOption.Parse("--ttl"),
        };
        var command = new Command(
            "refresh",
            "Extend a lease taken with 'lockctl acquire' (--lease-id, or --token and --owner); exits 1 if it is no longer yours (expired, released or taken over).")
        {
            Name, LeaseId, Token, ReleaseOwner, ttl, Json,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetResult(LeaseId) is null) == (result.GetResult(Token) is null))
            {
                result.AddError("refresh needs exactly one of --lease-id L or --token N (with --owner).");
            }
            else
            {
                ValidateLeaseChoice(result);
            }
        });
        command.SetAction(async (parse, _) =>
        {
            var name = ValidName(parse);
            var leaseId = ValidLeaseId(parse);
            var owner = leaseId is not null ? null : ValidOwner(parse.GetValue(ReleaseOwner)!);
            var lease = parse.GetValue(ttl);
            await using var connection = await GlobalOptions.ConnectAsync(parse);
            var grain = connection.Grains.GetGrain<ILockGrain>(name);
            var result = leaseId is not null ? await grain.RefreshLease(leaseId, lease) : await grain.Refresh(owner!, parse.GetValue(Token)!.Value, lease);
            Console.WriteLine(parse.GetValue(Json) ? ResultJson(result, owner)
                : result.Outcome == LockOutcome.Renewed ? $"lock '{name}': {result.Outcome} until {result.ExpiresAt:u}" : $"lock '{name}': {result.Outcome}");
            return result.Outcome == LockOutcome.Renewed ? ExitCodes.Success : 1;
        });
        return command;
    }

    /// <summary>--token names a lease together with --owner; --lease-id alone names it, so an owner beside it would only mislead.</summary>
    private static void ValidateLeaseChoice(System.CommandLine.Parsing.CommandResult result)
    {
        if (result.GetResult(Token) is not null && result.GetResult(ReleaseOwner) is null)
        {
            result.AddError($"{result.Command.Name} --token needs --owner: the owner 'lockctl acquire' printed after the token (acquire's default owner is unique to each call).");
        }
        else if (result.GetResult(LeaseId) is not null && result.GetResult(ReleaseOwner) is not null)
        {
            result.AddError($"{result.Command.Name} --lease-id takes no --owner: the lease id alone identifies the lease (the owner is only its label).");
        }
    }

    private static string? ValidLeaseId(ParseResult parse) =>
        parse.GetValue(LeaseId) is { } leaseId ? Cli.Validate(() => { LeaseIds.Validate(leaseId); return leaseId; }) : null;

    private static string ValidName(ParseResult parse)
    {
        var name = parse.GetValue(Name)!;
        return Cli.Validate(() => { LockArguments.ValidateName(name); return name; });
    }

    private static string ValidOwner(string owner) => Cli.Validate(() => { LockArguments.ValidateOwner(owner); return owner; });

    private static string ResultJson(LockResult result, string? owner) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["name"] = result.LockName,
        ["outcome"] = result.Outcome.ToString(),
        ["owner"] = owner,
        ["holder"] = result.Holder,
        ["leaseId"] = result.LeaseId,
        ["fencingToken"] = result.FencingToken,
        ["acquiredAt"] = result.AcquiredAt,
        ["expiresAt"] = result.ExpiresAt,
    });
}
