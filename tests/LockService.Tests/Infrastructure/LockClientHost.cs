using LockService.Testing;
using LockService.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LockService.Tests.Infrastructure;

/// <summary>A client application as users write it: a host with <c>AddLockClient</c>.</summary>
public sealed class LockClientHost : IAsyncDisposable
{
    private readonly IHost _host;

    private LockClientHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public static async Task<LockClientHost> StartAsync(Action<LockClientOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddLockClient(configure);
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await host.StartAsync(timeout.Token);
        return new LockClientHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
