using LockService.Testing;
using System.Diagnostics;
using System.Text.Json;
using LockService.Silo;
using LockService.Tests.Infrastructure;
using Npgsql;

namespace LockService.Tests.Cluster;

/// <summary>
/// docker-compose.yml cannot be run here (no Docker engine), so what proves it is that it parses with the real
/// <c>docker-compose</c> and describes exactly the cluster that <c>scripts/cluster.sh</c> runs and the other tests exercise:
/// same silos, ports, cluster and service ids and database, with images built from this repository.
/// </summary>
public sealed class ComposeTopologyTests
{
    private static string ComposeFile => Path.Combine(RepositoryPaths.Root, "docker-compose.yml");

    [Fact]
    public async Task Docker_compose_config_accepts_the_compose_file()
    {
        var (exitCode, stdout, stderr) = await RunAsync("docker-compose", "-f", ComposeFile, "config", "-q");
        Assert.True(exitCode == 0, $"docker-compose config -q failed with {exitCode}:\n{stdout}\n{stderr}");
    }

    [Fact]
    public async Task The_compose_topology_matches_the_one_cluster_sh_runs()
    {
        var topology = await ClusterScriptTopology.ReadAsync();
        var compose = await ReadComposeAsync();
        var services = compose.GetProperty("services");

        // Three silos (cluster.sh's default), each the silo image built from this repository.
        var silos = services.EnumerateObject()
            .Where(s => s.Value.TryGetProperty("build", out var build) && Text(build, "target") == "silo")
            .ToDictionary(s => Text(s.Value.GetProperty("environment"), "LOCKSILO_SILONAME"), s => (Service: s.Name, Definition: s.Value));
        Assert.Equal(topology.Silos.Select(s => s.Name).Order(), silos.Keys.Order());

        foreach (var expected in topology.Silos)
        {
            var (service, silo) = silos[expected.Name];
            var environment = silo.GetProperty("environment");
            Assert.Equal($"{expected.SiloPort}", Text(environment, "LOCKSILO_SILOPORT"));
            Assert.Equal($"{expected.GatewayPort}", Text(environment, "LOCKSILO_GATEWAYPORT"));
            Assert.Equal($"{expected.HttpPort}", Text(environment, "LOCKSILO_HTTP__PORT"));
            Assert.Equal(topology.ClusterId, Text(environment, "LOCKSILO_CLUSTERID"));
            Assert.Equal(topology.ServiceId, Text(environment, "LOCKSILO_SERVICEID"));
            // Peers and clients dial the address a silo advertises: in compose, its service name.
            Assert.Equal(service, Text(environment, "LOCKSILO_ADVERTISEDADDRESS"));

            var connection = ConnectionStringParts(Text(environment, "LOCKSILO_POSTGRES"));
            Assert.Equal(("postgres", "5432", topology.Database), (connection["host"], connection["port"], connection["database"]));

            AssertBuiltFromRepository(silo, "silo");
            Assert.Contains(Strings(silo.GetProperty("ports")), port => port.StartsWith($"127.0.0.1:{expected.GatewayPort}:{expected.GatewayPort}", StringComparison.Ordinal));
            Assert.Contains($"{expected.GatewayPort}", string.Join(' ', Strings(silo.GetProperty("healthcheck").GetProperty("test"))));
            Assert.Equal("service_healthy", Text(silo.GetProperty("depends_on").GetProperty("postgres"), "condition"));
        }

        // PostgreSQL 15 prepared from sql/, as scripts/lib/postgres.sh prepares the throwaway server.
        var postgres = services.GetProperty("postgres");
        Assert.Equal("postgres:15", Text(postgres, "image"));
        Assert.Equal(topology.Database, Text(postgres.GetProperty("environment"), "POSTGRES_DB"));
        Assert.Contains(Strings(postgres.GetProperty("volumes")), volume => volume.StartsWith($"{RepositoryPaths.SqlFolder}:/docker-entrypoint-initdb.d", StringComparison.Ordinal));
        Assert.True(postgres.TryGetProperty("healthcheck", out _), "postgres needs a health check for the silos to wait on");

        // The demo client reaches every silo's gateway, and starts only once they are healthy.
        var demo = services.GetProperty("demo");
        AssertBuiltFromRepository(demo, "demo");
        var demoEnvironment = demo.GetProperty("environment");
        var gateways = string.Join(',', topology.Silos.Select(s => $"{silos[s.Name].Service}:{s.GatewayPort}"));
        Assert.Equal(gateways, Text(demoEnvironment, "LOCKCTL_GATEWAYS"));
        Assert.Equal(topology.ClusterId, Text(demoEnvironment, "LOCKCTL_CLUSTER_ID"));
        Assert.Equal(topology.ServiceId, Text(demoEnvironment, "LOCKCTL_SERVICE_ID"));
        foreach (var (service, _) in silos.Values)
        {
            Assert.Equal("service_healthy", Text(demo.GetProperty("depends_on").GetProperty(service), "condition"));
        }
    }

    [Fact]
    public async Task Compose_nginx_proxies_every_silos_http_port_with_the_settings_cluster_sh_uses()
    {
        var topology = await ClusterScriptTopology.ReadAsync();
        var services = (await ReadComposeAsync()).GetProperty("services");
        var nginx = services.GetProperty("nginx");
        Assert.Contains(Strings(nginx.GetProperty("ports")), port => port.StartsWith($"127.0.0.1:{topology.NginxPort}:8080", StringComparison.Ordinal));
        var volumes = Strings(nginx.GetProperty("volumes")).ToList();
        var nginxFolder = Path.Combine(RepositoryPaths.Root, "deploy", "nginx");
        Assert.Contains($"{nginxFolder}/compose.conf:/etc/nginx/conf.d/default.conf:ro", volumes);
        Assert.Contains($"{nginxFolder}/lockservice-proxy.conf:/etc/nginx/lockservice/lockservice-proxy.conf:ro", volumes);

        // The upstream names each silo service at the HTTP port cluster.sh gives that silo, and nothing else.
        var config = await File.ReadAllTextAsync(Path.Combine(nginxFolder, "compose.conf"));
        var upstreams = System.Text.RegularExpressions.Regex.Matches(config, @"^\s*server\s+(\S+);", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(match => match.Groups[1].Value)
            .Order();
        var silos = services.EnumerateObject().Where(s => s.Value.TryGetProperty("build", out var build) && Text(build, "target") == "silo")
            .ToDictionary(s => Text(s.Value.GetProperty("environment"), "LOCKSILO_SILONAME"), s => s.Name);
        Assert.Equal(topology.Silos.Select(silo => $"{silos[silo.Name]}:{silo.HttpPort}").Order(), upstreams);
        foreach (var service in silos.Values)
        {
            Assert.Equal("service_healthy", Text(nginx.GetProperty("depends_on").GetProperty(service), "condition"));
        }
    }

    [Fact]
    public async Task Debian_nginx_accepts_the_compose_config()
    {
        // nginx -t resolves upstream names, so the compose service names are pointed at loopback; the rest is the file.
        var folder = Directory.CreateTempSubdirectory("locks-nginx-compose-");
        try
        {
            var nginxFolder = Path.Combine(RepositoryPaths.Root, "deploy", "nginx");
            var server = System.Text.RegularExpressions.Regex.Replace(await File.ReadAllTextAsync(Path.Combine(nginxFolder, "compose.conf")), @"silo\d+:", "127.0.0.1:")
                .Replace("/etc/nginx/lockservice/lockservice-proxy.conf", Path.Combine(nginxFolder, "lockservice-proxy.conf"), StringComparison.Ordinal);
            var config = Path.Combine(folder.FullName, "nginx.conf");
            await File.WriteAllTextAsync(config, $"pid {folder.FullName}/nginx.pid;\nevents {{}}\nhttp {{\n{server}\n}}\n");
            var (installed, nginxBin, installError) = await RunAsync("bash", "-c", "source scripts/lib/nginx.sh && nginx_ensure_installed && echo \"$NGINX_BIN\"");
            Assert.True(installed == 0, $"nginx is not available: {installError}");

            var (exitCode, stdout, stderr) = await RunAsync(nginxBin.Trim(), "-t", "-p", folder.FullName, "-e", Path.Combine(folder.FullName, "error.log"), "-c", config);
            Assert.True(exitCode == 0, $"nginx -t rejected deploy/nginx/compose.conf:\n{stdout}\n{stderr}");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Three_silos_at_their_largest_connection_pools_fit_the_compose_postgres_with_admin_headroom()
    {
        // Kept free for psql, migrations, monitoring and clients that read the membership table (PostgreSQL reserves
        // 3 of max_connections for superusers on top of what anyone asks for).
        const int adminHeadroom = 20;
        var services = (await ReadComposeAsync()).GetProperty("services");
        var postgres = services.GetProperty("postgres");
        var maxConnections = postgres.TryGetProperty("command", out var command)
            ? Strings(command).Select(argument => argument.Split('=', 2)).Where(pair => pair[0] == "max_connections").Select(pair => int.Parse(pair[1])).Single()
            : 100; // PostgreSQL's default

        var worstCase = 0;
        foreach (var silo in services.EnumerateObject().Where(s => s.Value.TryGetProperty("build", out var build) && Text(build, "target") == "silo"))
        {
            var configured = PostgresConnectionDefaults.Apply(Text(silo.Value.GetProperty("environment"), "LOCKSILO_POSTGRES"));
            // Npgsql keeps one pool per distinct connection string: providers given the same string share one.
            worstCase += Enum.GetValues<PostgresPool>()
                .Select(pool => PostgresConnectionDefaults.ForPool(configured, pool))
                .Distinct()
                .Sum(pooled => new NpgsqlConnectionStringBuilder(pooled).MaxPoolSize);
        }

        Assert.True(worstCase + adminHeadroom <= maxConnections, $"the silos' pools may open {worstCase} connections; with {adminHeadroom} for admins that exceeds max_connections = {maxConnections}");
    }

    [Fact]
    public void The_Dockerfile_builds_the_silo_and_the_demo_from_the_repository_sources()
    {
        var dockerfile = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "Dockerfile"));
        Assert.Contains("COPY src/ src/", dockerfile);
        Assert.Contains("dotnet publish src/LockSilo/LockSilo.csproj", dockerfile);
        Assert.Contains("dotnet publish src/LockDemo/LockDemo.csproj", dockerfile);
        Assert.Matches(@"FROM \S+ AS silo[\s\S]*ENTRYPOINT \[""dotnet"", ""LockSilo.dll""\]", dockerfile);
        Assert.Matches(@"FROM \S+ AS demo[\s\S]*ENTRYPOINT \[""dotnet"", ""LockDemo.dll""\]", dockerfile);
    }

    private static void AssertBuiltFromRepository(JsonElement service, string target)
    {
        var build = service.GetProperty("build");
        Assert.Equal(RepositoryPaths.Root, Text(build, "context").TrimEnd('/'));
        Assert.Equal("Dockerfile", Text(build, "dockerfile"));
        Assert.Equal(target, Text(build, "target"));
    }

    /// <summary>The compose file as docker-compose itself resolves it (anchors merged, paths absolute), as JSON.</summary>
    private static async Task<JsonElement> ReadComposeAsync()
    {
        var (exitCode, yaml, stderr) = await RunAsync("docker-compose", "-f", ComposeFile, "config");
        Assert.True(exitCode == 0, $"docker-compose config failed with {exitCode}: {stderr}");

        // docker-compose runs on Debian's python3 with PyYAML, so that interpreter can always read its output.
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var (pythonExit, json, pythonError) = await RunWithInputAsync(python, yaml, "-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)");
        Assert.True(pythonExit == 0, $"converting the compose config to JSON failed: {pythonError}");
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    private static Dictionary<string, string> ConnectionStringParts(string connectionString) =>
        connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2))
            .ToDictionary(pair => pair[0].Trim().ToLowerInvariant(), pair => pair[1].Trim());

    private static string Text(JsonElement parent, string property)
    {
        Assert.True(parent.TryGetProperty(property, out var value), $"'{property}' is missing in {parent}");
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
    }

    private static IEnumerable<string> Strings(JsonElement array) =>
        array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText());

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, params string[] arguments) =>
        RunWithInputAsync(program, stdin: null, arguments);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunWithInputAsync(string program, string? stdin, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The topology under test is the default one, not whatever the developer's shell overrides.
        foreach (var variable in new[] { "LOCKS_CLUSTER_SILOS", "LOCKS_CLUSTER_SILO_PORT_BASE", "LOCKS_CLUSTER_GATEWAY_PORT_BASE", "LOCKS_CLUSTER_HTTP_PORT_BASE", "LOCKS_CLUSTER_NGINX_PORT", "LOCKS_CLUSTER_ID", "LOCKS_SERVICE_ID", "LOCKS_POSTGRES_PASSWORD" })
        {
            start.Environment.Remove(variable);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException(
                $"Cannot run '{program}' ({exception.Message}). scripts/test.sh installs docker-compose (Debian package docker-compose); run the tests through it.", exception);
        }

        using (process)
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
                process.StandardInput.Close();
            }

            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary>What <c>scripts/cluster.sh topology</c> prints: the cluster that the script starts.</summary>
    private sealed record ClusterScriptTopology(string ClusterId, string ServiceId, string Database, int NginxPort, IReadOnlyList<(string Name, int SiloPort, int GatewayPort, int HttpPort)> Silos)
    {
        public static async Task<ClusterScriptTopology> ReadAsync()
        {
            var (exitCode, stdout, stderr) = await RunAsync("bash", Path.Combine(RepositoryPaths.Root, "scripts", "cluster.sh"), "topology");
            Assert.True(exitCode == 0, $"cluster.sh topology failed with {exitCode}: {stderr}");
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var header = Fields(lines[0]);
            var silos = lines.Skip(1)
                .Select(line => (Name: line.Split(' ')[0], Fields: Fields(line)))
                .Select(s => (s.Name, int.Parse(s.Fields["silo_port"]), int.Parse(s.Fields["gateway_port"]), int.Parse(s.Fields["http_port"])))
                .ToArray();
            return new ClusterScriptTopology(header["cluster_id"], header["service_id"], header["database"], int.Parse(header["nginx_port"]), silos);
        }

        private static Dictionary<string, string> Fields(string line) =>
            line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(field => field.Contains('='))
                .Select(field => field.Split('=', 2))
                .ToDictionary(pair => pair[0], pair => pair[1]);
    }
}
