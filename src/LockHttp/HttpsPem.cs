using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace LockService.Http;

/// <summary>
/// HTTPS served by Kestrel itself, from a PEM certificate and its PEM private key (<c>--https-cert</c>,
/// <c>--https-key</c>): for a silo reached without a proxy. Behind nginx, TLS is usually terminated there instead
/// (deploy/nginx/README.md) and the silos serve plain HTTP on their private network.
/// </summary>
public static class HttpsPem
{
    /// <summary>What is wrong with the TLS settings of <paramref name="options"/>; empty when nothing is (or TLS is off).</summary>
    public static IEnumerable<string> Problems(HttpApiOptions options)
    {
        var certificate = options.CertificatePemPath;
        var key = options.KeyPemPath;
        if (string.IsNullOrWhiteSpace(certificate) && string.IsNullOrWhiteSpace(key))
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(certificate) || string.IsNullOrWhiteSpace(key))
        {
            yield return "CertificatePemPath (--https-cert) and KeyPemPath (--https-key) go together: give both for HTTPS, or neither for plain HTTP.";
            yield break;
        }

        if (!File.Exists(certificate) || !File.Exists(key))
        {
            yield return $"CertificatePemPath and KeyPemPath must name readable files ({(File.Exists(certificate) ? "the key" : "the certificate")} file does not exist).";
            yield break;
        }

        string? failure = null;
        try
        {
            using var loaded = Load(options);
        }
        catch (CryptographicException exception)
        {
            failure = $"CertificatePemPath and KeyPemPath must hold a PEM certificate and its PEM private key: {exception.Message}";
        }

        if (failure is not null)
        {
            yield return failure;
        }
    }

    /// <summary>Whether <paramref name="options"/> ask for HTTPS.</summary>
    public static bool IsConfigured(HttpApiOptions options) => !string.IsNullOrWhiteSpace(options.CertificatePemPath);

    /// <summary>Serves HTTPS on <paramref name="listen"/> when <paramref name="options"/> name a certificate; otherwise leaves it plain HTTP.</summary>
    public static ListenOptions UseHttpsFromPem(this ListenOptions listen, HttpApiOptions options)
    {
        if (IsConfigured(options))
        {
            listen.UseHttps(Load(options));
        }

        return listen;
    }

    private static X509Certificate2 Load(HttpApiOptions options) =>
        X509Certificate2.CreateFromPemFile(options.CertificatePemPath!, options.KeyPemPath);
}
