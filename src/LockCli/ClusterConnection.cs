using LockService.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace LockService.Cli;

/// <summary>An Orleans client connected to the lock cluster, quiet on the terminal unless asked.</summary>
internal sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterConnection(IHost host) => _host = host;

    public ILockProvider Locks => _host.Services.GetRequiredService<ILockProvider>();

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    /// <exception cref="ClusterUnavailableException">No gateway answered within <paramref name="timeout"/>.</exception>
    public static async Task<ClusterConnection> ConnectAsync(ConnectionSettings settings, GlobalOptions global, TimeSpan timeout)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(global.Verbose ? LogLevel.Information : LogLevel.Warning);
        if (global.Verbose)
        {
            builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        }

        if (global.LogFile is { } logFile)
        {
            builder.Logging.AddProvider(new FileLoggerProvider(logFile, global.Verbose ? LogLevel.Information : LogLevel.Warning));
        }

        try
        {
            builder.Services.AddLockClient(options =>
            {
                foreach (var gateway in settings.Gateways)
                {
                    options.Gateways.Add(gateway);
                }

                options.Postgres = settings.Postgres;
                options.ClusterId = settings.ClusterId ?? options.ClusterId;
                options.ServiceId = settings.ServiceId ?? options.ServiceId;
            });
        }
        catch (Exception exception) when (exception is ArgumentException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            throw new UsageException(exception.Message);
        }

        var host = builder.Build();
        try
        {
            using var connecting = new CancellationTokenSource(timeout);
            await host.StartAsync(connecting.Token);
            return new ClusterConnection(host);
        }
        catch (OperationCanceledException)
        {
            host.Dispose();
            throw new ClusterUnavailableException($"cannot reach the lock cluster at {Where(settings)}: no gateway answered within {Durations.Describe(timeout)}.");
        }
        catch (Exception exception)
        {
            host.Dispose();
            throw new ClusterUnavailableException($"cannot reach the lock cluster at {Where(settings)}: {exception.GetType().Name}: {exception.Message}");
        }
    }

    private static string Where(ConnectionSettings settings) =>
        settings.Postgres is not null ? "the membership table in PostgreSQL" : string.Join(", ", settings.Gateways.DefaultIfEmpty("127.0.0.1:30000"));

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _host.StopAsync(stopping.Token);
        }
        catch (OperationCanceledException)
        {
        }

        _host.Dispose();
    }
}

/// <summary>The cluster did not answer: exit code 69.</summary>
internal sealed class ClusterUnavailableException(string message) : Exception(message);
