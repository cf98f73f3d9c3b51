namespace LockService.Demo;

/// <summary>What the demo connects to, from the command line or the variables that <c>. .cluster/env</c> sets.</summary>
internal sealed class DemoOptions
{
    public const string Usage =
        "usage: LockDemo [--gateways host:port,host:port,...] [--cluster-id ID] [--service-id ID] [--silos FILE] [--skip-failover]\n" +
        "  --gateways       gateway endpoints (default: $LOCKCTL_GATEWAYS)\n" +
        "  --cluster-id     Orleans cluster id (default: $LOCKCTL_CLUSTER_ID, else lock-cluster)\n" +
        "  --service-id     Orleans service id (default: $LOCKCTL_SERVICE_ID, else lock-service)\n" +
        "  --silos FILE     the silo process map scripts/cluster.sh writes (default: .cluster/silos if it exists);\n" +
        "                   the failover scenario kills the silo hosting 'backup' through it\n" +
        "  --skip-failover  run every scenario but the failover (where no silo process can be killed, e.g. in compose)";

    public List<string> Gateways { get; } = [];

    public string ClusterId { get; private set; } = "lock-cluster";

    public string ServiceId { get; private set; } = "lock-service";

    public string? SilosFile { get; private set; }

    public bool SkipFailover { get; private set; }

    /// <summary>Parses <paramref name="args"/> over the environment; throws <see cref="ArgumentException"/> naming the problem.</summary>
    public static DemoOptions Parse(string[] args)
    {
        var options = new DemoOptions();
        var gateways = Environment.GetEnvironmentVariable("LOCKCTL_GATEWAYS");
        options.ClusterId = NonEmpty(Environment.GetEnvironmentVariable("LOCKCTL_CLUSTER_ID")) ?? options.ClusterId;
        options.ServiceId = NonEmpty(Environment.GetEnvironmentVariable("LOCKCTL_SERVICE_ID")) ?? options.ServiceId;
        options.SilosFile = File.Exists(Path.Combine(".cluster", "silos")) ? Path.Combine(".cluster", "silos") : null;

        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--gateways":
                    gateways = Value(args, ref i);
                    break;
                case "--cluster-id":
                    options.ClusterId = Value(args, ref i);
                    break;
                case "--service-id":
                    options.ServiceId = Value(args, ref i);
                    break;
                case "--silos":
                    options.SilosFile = Value(args, ref i);
                    break;
                case "--skip-failover":
                    options.SkipFailover = true;
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }

        if (NonEmpty(gateways) is not { } list)
        {
            throw new ArgumentException("no gateways: pass --gateways or set LOCKCTL_GATEWAYS (`. .cluster/env` after scripts/cluster.sh start)");
        }

        options.Gateways.AddRange(list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (!options.SkipFailover && options.SilosFile is null)
        {
            throw new ArgumentException("the failover scenario needs the silo process map: pass --silos FILE (scripts/cluster.sh writes .cluster/silos), or --skip-failover");
        }

        return options;
    }

    private static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{args[i]} needs a value");
        }

        return args[++i];
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
