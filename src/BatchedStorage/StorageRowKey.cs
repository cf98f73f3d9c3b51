using System.Globalization;
using System.Text;

namespace LockService.Storage;

/// <summary>
/// The grain-key columns of a grain's row (GrainIdN0, GrainIdN1, GrainIdExtensionString) and the bytes its GrainIdHash
/// is computed from, exactly as Orleans' ADO.NET grain storage (10.4.2) derives them from a <see cref="GrainId"/> in
/// its internal <c>AdoGrainKey</c> and <c>AdoNetGrainStorage.GrainIdAndExtensionAsString</c>.
/// </summary>
/// <remarks>
/// Those types are internal, so this is the minimum copy of them; the key is classified by the same public
/// <see cref="GrainIdKeyExtensions"/> calls. <c>BatchedGrainStorageCompatibilityTests</c> proves the copy equal: rows
/// written here are found by the stock provider and the other way round, for plain, integer-like and Guid-like keys.
/// </remarks>
internal sealed class StorageRowKey
{
    private readonly Guid? _guid;
    private readonly bool _isIntegerKey;

    private StorageRowKey(long n0, long n1, string? stringKey, Guid? guid, bool isIntegerKey)
    {
        N0 = n0;
        N1 = n1;
        StringKey = stringKey;
        _guid = guid;
        _isIntegerKey = isIntegerKey;
    }

    /// <summary>GrainIdN0: the first half of a Guid key, else 0.</summary>
    public long N0 { get; }

    /// <summary>GrainIdN1: the second half of a Guid key, an integer key, else 0.</summary>
    public long N1 { get; }

    /// <summary>GrainIdExtensionString: a key extension, or the whole key of a string-keyed grain.</summary>
    public string? StringKey { get; }

    /// <summary>The row key of <paramref name="grainId"/>; a key that parses as a Guid or an integer is stored as one.</summary>
    public static StorageRowKey Of(GrainId grainId)
    {
        if (grainId.TryGetGuidKey(out var guid, out var extension))
        {
            var bytes = guid.ToByteArray();
            return new StorageRowKey(BitConverter.ToInt64(bytes, 0), BitConverter.ToInt64(bytes, 8), extension, guid, isIntegerKey: false);
        }

        if (grainId.TryGetIntegerKey(out var integer, out extension))
        {
            return new StorageRowKey(0, integer, extension, guid: null, isIntegerKey: true);
        }

        return new StorageRowKey(0, 0, grainId.Key.ToString(), guid: null, isIntegerKey: false);
    }

    /// <summary>The bytes the provider's hasher turns into GrainIdHash: the key's bytes, then the extension's UTF-8, reversed.</summary>
    public byte[] HashBytes()
    {
        byte[]? bytes = _isIntegerKey ? BitConverter.GetBytes(N1) : _guid?.ToByteArray();
        if (bytes is not null && StringKey is not null)
        {
            bytes = [.. bytes, .. Encoding.UTF8.GetBytes(StringKey)];
        }

        bytes ??= Encoding.UTF8.GetBytes(StringKey!);
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(bytes);
        }

        return bytes;
    }

    /// <summary>The key as the provider names it in its conflict messages: the primary key, then <c>#extension</c>.</summary>
    public override string ToString()
    {
        var primary = _isIntegerKey ? N1.ToString(CultureInfo.InvariantCulture) : _guid?.ToString() ?? StringKey!;
        var extension = _isIntegerKey || _guid is not null ? StringKey : null;
        return extension is null ? primary : $"{primary}#{extension}";
    }
}
