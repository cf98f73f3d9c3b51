using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace LockService.Cli.Commands;

/// <summary><c>lockctl status | acquire | release</c>: for operators and for scripts that hold a lock across several commands.</summary>
internal static class AdminCommands
{
    private static readonly Argument<string> Name = new("name") { Description = "The lock's name." };

    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON." };

    private static readonly Option<bool> Semaphore = new("--semaphore") { Description = "Show only the semaphore NAME (the one 'run NAME --slots N' holds)." };

    private static readonly Option<string?> AcquireOwner = new("--owner") { Description = "Owner identity to acquire as (default: HOST:pid:random, printed after the token)." };

    private static readonly Option<string?> ReleaseOwner = new("--owner") { Description = "The owner 'lockctl acquire' printed (or was given); required with --token." };

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
        var command = new Command("acquire", "Acquire a lock and print 'TOKEN OWNER'; release it later with 'lockctl release NAME --token TOKEN --owner OWNER'.") { Name, ttl, wait, AcquireOwner, Json };
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

            // The owner too: a release must name it, and a generated one is known only from here.
            Console.WriteLine(parse.GetValue(Json) ? ResultJson(result, owner) : $"{result.FencingToken.ToString(CultureInfo.InvariantCulture)} {owner}");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Release()
    {
        var token = new Option<long?>("--token") { Description = "The fencing token 'lockctl acquire' printed." };
        var force = new Option<bool>("--force") { Description = "Operator break-glass: end the lease whoever holds it. The old holder's next refresh is refused." };
        var command = new Command("release", "Release a lock acquired with 'lockctl acquire' (--token and --owner), or end any holder's lease (--force).") { Name, token, force, ReleaseOwner, Json };
        command.Validators.Add(result =>
        {
            var hasToken = result.GetResult(token) is not null;
            var forced = result.GetResult(force) is not null;
            if (hasToken == forced)
            {
                result.AddError("release needs exactly one of --token N (your own lock) or --force (break-glass).");
            }
            else if (hasToken && result.GetResult(ReleaseOwner) is null)
            {
                result.AddError("release --token needs --owner: the owner 'lockctl acquire' printed after the token (acquire's default owner is unique to each call).");
            }
        });
        command.SetAction(async (parse, _) =>
        {
            var name = ValidName(parse);
            var forced = parse.GetValue(force);
            var owner = forced ? null : ValidOwner(parse.GetValue(ReleaseOwner)!);
            await using var connection = await GlobalOptions.ConnectAsync(parse);
            var grain = connection.Grains.GetGrain<ILockGrain>(name);
            var result = forced ? await grain.ForceRelease() : await grain.Release(owner!, parse.GetValue(token)!.Value);
            Console.WriteLine(parse.GetValue(Json) ? ResultJson(result, owner) : $"lock '{name}': {result.Outcome}");
            return result.Outcome is LockOutcome.Released or LockOutcome.AlreadyReleased ? ExitCodes.Success : 1;
        });
        return command;
    }

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
        ["fencingToken"] = result.FencingToken,
        ["acquiredAt"] = result.AcquiredAt,
        ["expiresAt"] = result.ExpiresAt,
    });
}
