using System.Net;

namespace LockService.Http.Auth;

/// <summary>
/// The rules for the API keys in <see cref="HttpApiOptions"/>, checked before the silo starts: each hash is 64 hex
/// digits (<c>printf %s KEY | sha256sum</c>), each key has known scopes, and an API on an address other than loopback
/// has keys unless <see cref="HttpApiOptions.InsecureHttp"/> says otherwise. A failure names the setting and the rule.
/// </summary>
public static class ApiKeyRules
{
    /// <summary>The scopes of <paramref name="key"/>, lower-case; an entry may list several, separated by commas or spaces.</summary>
    public static IEnumerable<string> ScopesOf(HttpApiKey key) =>
        key.Scopes.SelectMany(entry => entry.Split(new[] { ',', ' ' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(scope => scope.ToLowerInvariant())
            .Distinct();

    /// <summary>What is wrong with the key settings of <paramref name="options"/>; empty when nothing is.</summary>
    public static IEnumerable<string> Problems(HttpApiOptions options)
    {
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            var hash = key.Sha256?.Trim() ?? "";
            if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigit))
            {
                // The value itself is not repeated: someone may have pasted the key instead of its hash.
                yield return $"ApiKeys:{i}:Sha256 must be the key's SHA-256 as 64 hex digits (printf %s KEY | sha256sum); it has {hash.Length} characters.";
            }

            var scopes = ScopesOf(key).ToList();
            if (scopes.Count == 0)
            {
                yield return $"ApiKeys:{i}:Scopes must name at least one of {string.Join(", ", ApiScopes.All)}.";
            }

            foreach (var unknown in scopes.Where(scope => !ApiScopes.All.Contains(scope)))
            {
                yield return $"ApiKeys:{i}:Scopes: '{unknown}' is not a scope; the scopes are {string.Join(", ", ApiScopes.All)}.";
            }
        }

        if (options.Enabled && options.ApiKeys.Count == 0 && !options.InsecureHttp && !IsLoopback(options.Address))
        {
            yield return $"Address {options.Address} is not loopback and no API keys are configured: anyone who reaches it could take and break locks. " +
                "Configure Http:ApiKeys (SHA-256 hashes with scopes), or pass --insecure-http for a network you trust.";
        }
    }

    private static bool IsLoopback(string address) => IPAddress.TryParse(address, out var parsed) && IPAddress.IsLoopback(parsed);
}
