using LockService.Testing;
using LockService.Tests.Infrastructure;

namespace LockService.Tests.Http;

/// <summary>
/// Kestrel serving HTTPS from PEM files (<c>--https-cert</c>, <c>--https-key</c>): a throwaway CA made with openssl
/// signs a certificate for 127.0.0.1, and <c>curl --cacert</c> trusts the silo by that CA alone.
/// </summary>
public sealed class HttpsTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("locks-tls-");

    private string File(string name) => Path.Combine(_folder.FullName, name);

    [Fact]
    public async Task A_silo_serves_https_from_pem_files_that_curl_trusts_through_the_ca()
    {
        await MakeCertificatesAsync();
        var port = FreePorts.Take(1)[0];
        await using var silo = SiloProcess.Start(null, $"tls-{Guid.NewGuid():N}", "tls", extraArguments:
            ["--http-port", $"{port}", "--https-cert", File("server.pem"), "--https-key", File("server.key")]);
        await silo.WaitUntilReadyAsync();

        var url = $"https://127.0.0.1:{port}/healthz";
        var trusted = await Eventually.ReturnsAsync(
            () => RunAsync("curl", "--silent", "--show-error", "--max-time", "20", "--cacert", File("ca.pem"), url),
            result => result.ExitCode == 0 || silo.HasExited,
            "the silo to answer HTTPS",
            TimeSpan.FromMinutes(2));
        Assert.True(trusted.ExitCode == 0, $"curl --cacert failed ({trusted.ExitCode}): {trusted.Stderr}\n{silo.Output}");
        Assert.Equal("Healthy", trusted.Stdout.Trim());

        // Without the CA, curl cannot verify the certificate (exit 60): it is the CA that makes the silo trusted.
        var untrusted = await RunAsync("curl", "--silent", "--max-time", "20", url);
        Assert.Equal(60, untrusted.ExitCode);
    }

    [Fact]
    public async Task A_certificate_without_its_key_is_refused_before_the_silo_starts()
    {
        await MakeCertificatesAsync();
        await using var silo = SiloProcess.Start(null, $"tls-{Guid.NewGuid():N}", "tls", extraArguments:
            ["--http-port", $"{FreePorts.Take(1)[0]}", "--https-cert", File("server.pem")]);

        Assert.NotEqual(0, await silo.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        Assert.Contains("--https-key", silo.Output);
    }

    public void Dispose() => _folder.Delete(recursive: true);

    private async Task MakeCertificatesAsync()
    {
        await System.IO.File.WriteAllTextAsync(File("server.ext"), "subjectAltName=IP:127.0.0.1\n");
        string[][] steps =
        [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", File("ca.key"), "-out", File("ca.pem"), "-days", "1", "-subj", "/CN=lock service test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", File("server.key"), "-out", File("server.csr"), "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", File("server.csr"), "-CA", File("ca.pem"), "-CAkey", File("ca.key"), "-CAcreateserial", "-out", File("server.pem"), "-days", "1", "-extfile", File("server.ext")],
        ];
        foreach (var step in steps)
        {
            var result = await RunAsync("openssl", step);
            Assert.True(result.ExitCode == 0, $"openssl {step[0]} failed: {result.Stderr}");
        }
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, params string[] arguments) =>
        ChildProcess.RunAsync(program, arguments);
}
