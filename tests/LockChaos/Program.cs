using System.Globalization;
using LockService.Chaos.History;
using LockService.Chaos.Nemesis;
using LockService.Chaos.Workload;

// lockchaos client ...   one workload client process (started by the runner)
// lockchaos queue-worker ...   one work queue worker process (started by the queue process tests)
// lockchaos run [--smoke] [--only NAME] --sql DIR --out DIR   the nemesis and checker (started by scripts/chaos.sh)
// lockchaos check DIR    judges a kept history again (C1-C7), e.g. .chaos/silo-kill after a failed run
if (args.Length > 0 && args[0] == "client")
{
    var options = Options(args.Skip(1));
    return await WorkloadClient.RunAsync(new WorkloadSettings(
        options["--id"],
        int.Parse(options["--workers"], CultureInfo.InvariantCulture),
        options["--gateways"].Split(','),
        options["--cluster-id"],
        options["--service-id"],
        int.Parse(options["--locks"], CultureInfo.InvariantCulture),
        TimeSpan.FromMilliseconds(double.Parse(options["--ttl-ms"], CultureInfo.InvariantCulture)),
        TimeSpan.FromSeconds(int.Parse(options["--duration-s"], CultureInfo.InvariantCulture)),
        options["--history"],
        options["--postgres"],
        (int.Parse(options["--hold-ms"].Split('-')[0], CultureInfo.InvariantCulture), int.Parse(options["--hold-ms"].Split('-')[1], CultureInfo.InvariantCulture)),
        options["--api"] == HandleWorker.Api,
        int.Parse(options["--semaphore-workers"], CultureInfo.InvariantCulture),
        int.Parse(options["--semaphores"], CultureInfo.InvariantCulture),
        int.Parse(options["--semaphore-max"], CultureInfo.InvariantCulture)));
}

if (args.Length > 0 && args[0] == "queue-worker")
{
    var options = Options(args.Skip(1));
    return await QueueWorker.RunAsync(new QueueWorkerSettings(
        options["--worker"],
        options["--gateways"].Split(','),
        options["--cluster-id"],
        options["--service-id"],
        options["--queue"],
        options["--log"],
        TimeSpan.FromMilliseconds(double.Parse(options["--ttl-ms"], CultureInfo.InvariantCulture)),
        (int.Parse(options["--work-ms"].Split('-')[0], CultureInfo.InvariantCulture), int.Parse(options["--work-ms"].Split('-')[1], CultureInfo.InvariantCulture)),
        int.Parse(options["--failure-percent"], CultureInfo.InvariantCulture)));
}

if (args.Length > 0 && args[0] == "run")
{
    var options = Options(args.Skip(1).Where(a => a != "--smoke"));
    var postgres = PostgresControl.FromEnvironment();
    var tests = args.Contains("--smoke") ? ChaosSuite.Smoke(postgres) : ChaosSuite.Full(postgres);
    if (options.TryGetValue("--only", out var only))
    {
        tests = tests.Where(t => only.Split(',').Contains(t.Name)).ToList();
    }

    var runner = new ChaosRunner(postgres, options["--sql"], options["--out"]);
    var table = new ResultTable();
    var failures = 0;
    foreach (var test in tests)
    {
        var (report, elapsed) = await runner.RunAsync(test);
        failures += report.Failures > 0 ? 1 : 0;
        Console.WriteLine($"   {(report.Failures > 0 ? "FAIL" : "ok")}: {report}");
        foreach (var violation in report.Violations)
        {
            Console.WriteLine($"      {violation}");
        }

        table.Add(test.Name, test.Settings.ReleaseMode, report, elapsed);
    }

    Console.WriteLine();
    foreach (var line in table.Lines())
    {
        Console.WriteLine(line);
    }

    Console.WriteLine();
    Console.WriteLine(failures == 0 ? $"chaos: {tests.Count} tests, no violations" : $"chaos: {failures} of {tests.Count} tests had violations; histories are in {options["--out"]}");
    return failures == 0 ? 0 : 1;
}

if (args.Length == 2 && args[0] == "check")
{
    return CheckCommand.Run(args[1], Console.Out);
}

Console.Error.WriteLine("usage: LockChaos client ... | LockChaos queue-worker ... | LockChaos run [--smoke] [--only NAME,...] --sql DIR --out DIR | LockChaos check DIR");
return 64;

static Dictionary<string, string> Options(IEnumerable<string> args)
{
    var list = args.ToList();
    var options = new Dictionary<string, string>();
    for (var i = 0; i + 1 < list.Count; i += 2)
    {
        options[list[i]] = list[i + 1];
    }

    return options;
}
