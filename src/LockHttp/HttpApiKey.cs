namespace LockService.Http;

/// <summary>One API key of the HTTP API, stored as its hash so configuration never holds the key itself.</summary>
public sealed class HttpApiKey
{
    /// <summary>The SHA-256 of the key, hex (<c>printf %s KEY | sha256sum</c>). Never logged.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>What the key may do: <c>lock</c>, <c>queue</c>, <c>admin</c> (admin implies all).</summary>
    public List<string> Scopes { get; set; } = [];
}
