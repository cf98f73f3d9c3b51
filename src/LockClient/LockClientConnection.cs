using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LockService.Client;

/// <summary>
/// A lock client with a host of its own, for programs that have none (console tools, scripts, test harnesses):
/// connected when <see cref="ConnectAsync"/> returns, disconnected on dispose. Applications that already run a
/// generic host call <c>services.AddLockClient(...)</c> instead.
/// </summary>
/// <example>
/// <code>
/// await using var client = await LockClientConnection.ConnectAsync(o => o.Gateways.Add("127.0.0.1:30000"));
/// await using var handle = await client.Locks.CreateLock("nightly-backup").TryAcquireAsync();
/// </code>
/// </example>
public sealed class LockClientConnection : IAsyncDisposable
{
    /// <summary>How long <see cref="ConnectAsync"/> waits for a gateway unless told otherwise.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan DisconnectTimeout = TimeSpan.FromSeconds(10);

    private readonly IHost _host;

    private LockClientConnection(IHost host) => _host = host;

    /// <summary>The connection's services: the Orleans client, options, and whatever <c>configureHost</c> added.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>Grain references: <c>Grains.GetGrain&lt;ILockGrain&gt;("backup").TryAcquire(owner, ttl)</c>.</summary>
    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The handle API: <c>Locks.CreateLock("backup")</c>.</summary>
    public ILockProvider Locks => _host.Services.GetRequiredService<ILockProvider>();

    /// <summary>
    /// Connects to the cluster <paramref name="configure"/> describes. Nothing is logged unless
    /// <paramref name="configureHost"/> adds logging (or other services).
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options could never connect; the message names the setting.</exception>
    /// <exception cref="OperationCanceledException">No gateway answered within <paramref name="connectTimeout"/>.</exception>
    public static async Task<LockClientConnection> ConnectAsync(
        Action<LockClientOptions> configure,
        TimeSpan? connectTimeout = null,
        Action<HostApplicationBuilder>? configureHost = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        configureHost?.Invoke(builder);
        builder.Services.AddLockClient(configure);
        var host = builder.Build();
        try
        {
            using var connecting = new CancellationTokenSource(connectTimeout ?? DefaultConnectTimeout);
            await host.StartAsync(connecting.Token).ConfigureAwait(false);
            return new LockClientConnection(host);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Disconnects, waiting at most 10 s for calls in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(DisconnectTimeout);
        try
        {
            await _host.StopAsync(stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _host.Dispose();
        }
    }
}
