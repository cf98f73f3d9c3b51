using System.Security.Cryptography;
using System.Text;

namespace LockService.Http.Auth;

/// <summary>
/// The configured API keys, as their SHA-256 hashes with their scopes. A presented key is hashed and compared with
/// every configured hash in constant time (<see cref="CryptographicOperations.FixedTimeEquals"/>), all of them every
/// time, so neither a key's bytes nor which entry matched can be learned from the answer's timing. Keys are never
/// kept, logged or shown; only their hashes are configured.
/// </summary>
public sealed class ApiKeyTable
{
    private readonly (byte[] Hash, string[] Scopes)[] _keys;

    /// <summary>The table of <paramref name="options"/>' keys (already checked by <see cref="ApiKeyRules"/>).</summary>
    public ApiKeyTable(HttpApiOptions options) =>
        _keys = [.. options.ApiKeys.Select(key => (Convert.FromHexString(key.Sha256.Trim()), ApiKeyRules.ScopesOf(key).ToArray()))];

    /// <summary>Whether keys are configured; without any the API is open (loopback, or <c>--insecure-http</c>).</summary>
    public bool IsOpen => _keys.Length == 0;

    /// <summary>The scopes of <paramref name="presentedKey"/>, or <see langword="null"/> when it is not a configured key.</summary>
    public IReadOnlyList<string>? ScopesOf(string presentedKey)
    {
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey), presented);
        string[]? scopes = null;
        foreach (var (hash, keyScopes) in _keys)
        {
            // No early exit: every entry is compared, whichever matches.
            if (CryptographicOperations.FixedTimeEquals(presented, hash))
            {
                scopes = keyScopes;
            }
        }

        return scopes;
    }
}
