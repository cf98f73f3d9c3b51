using LockService.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace LockService.Cli;

/// <summary>Connects lockctl to the lock cluster, quiet on the terminal unless asked, with its exit-code errors.</summary>
internal static class ClusterConnection
{
    /// <exception cref="ClusterUnavailableException">No gateway answered within <paramref name="timeout"/>.</exception>
    /// <exception cref="UsageException">The settings could never connect (exit code 64).</exception>
    public static async Task<LockClientConnection> ConnectAsync(ConnectionSettings settings, GlobalOptions global, TimeSpan timeout)
    {
        try
        {
            return await LockClientConnection.ConnectAsync(
                options =>
                {
                    foreach (var gateway in settings.Gateways)
                    {
                        options.Gateways.Add(gateway);
                    }

                    options.Postgres = settings.Postgres;
                    options.ClusterId = settings.ClusterId ?? options.ClusterId;
                    options.ServiceId = settings.ServiceId ?? options.ServiceId;
                },
                timeout,
                host => ConfigureLogging(host.Logging, global));
        }
        catch (Exception exception) when (exception is ArgumentException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            throw new UsageException(exception.Message);
        }
        catch (OperationCanceledException)
        {
            throw new ClusterUnavailableException($"cannot reach the lock cluster at {Where(settings)}: no gateway answered within {Durations.Describe(timeout)}.");
        }
        catch (Exception exception)
        {
            throw new ClusterUnavailableException($"cannot reach the lock cluster at {Where(settings)}: {exception.GetType().Name}: {exception.Message}");
        }
    }

    /// <summary>Quiet on the terminal unless <c>--verbose</c>; <c>--log-file</c> gets warnings (or more with --verbose).</summary>
    private static void ConfigureLogging(ILoggingBuilder logging, GlobalOptions global)
    {
        logging.SetMinimumLevel(global.Verbose ? LogLevel.Information : LogLevel.Warning);
        if (global.Verbose)
        {
            logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        }

        if (global.LogFile is { } logFile)
        {
            logging.AddProvider(new FileLoggerProvider(logFile, global.Verbose ? LogLevel.Information : LogLevel.Warning));
        }
    }

    private static string Where(ConnectionSettings settings) =>
        settings.Postgres is not null ? "the membership table in PostgreSQL" : string.Join(", ", settings.Gateways.DefaultIfEmpty("127.0.0.1:30000"));
}

/// <summary>The cluster did not answer: exit code 69.</summary>
internal sealed class ClusterUnavailableException(string message) : Exception(message);
