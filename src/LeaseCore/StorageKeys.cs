using System.Text;

namespace LockService.Leases;

/// <summary>
/// The grain id under which a lease primitive's state is stored. Orleans' ADO.NET grain storage (10.4.2,
/// <c>AdoGrainKey.ToString</c>) passes the stored key to <see cref="string.Format(string, object?[])"/> as the format
/// itself, right after the write and before it checks the result, so a key with <c>{</c> or <c>}</c> turns every
/// successful write into a <see cref="FormatException"/> (or, for balanced <c>{{</c>, works). Such names are therefore
/// stored under a key without braces; every other name keeps its plain key, so existing rows stay where they are.
/// </summary>
public static class StorageKeys
{
    // Never part of a valid name (LockArguments refuses U+FFFD), so an escaped key cannot be any name's plain key,
    // and an escaped key decodes one way only.
    private const char Escape = '\uFFFD';

    /// <summary>The storage id of the <paramref name="grainType"/> named <paramref name="name"/>.</summary>
    public static GrainId For(string grainType, string name) => GrainId.Create(grainType, HasBraces(name) ? Escaped(name) : name);

    /// <summary>
    /// Where a name with braces was stored before its key was escaped, or <see langword="null"/> for a name whose key
    /// never changed.
    /// </summary>
    public static GrainId? FormerFor(string grainType, string name) => HasBraces(name) ? GrainId.Create(grainType, name) : null;

    private static bool HasBraces(string name) => name.AsSpan().IndexOfAny('{', '}') >= 0;

    private static string Escaped(string name)
    {
        var key = new StringBuilder(name.Length + 8);
        foreach (var c in name)
        {
            _ = c switch
            {
                '{' => key.Append(Escape).Append('('),
                '}' => key.Append(Escape).Append(')'),
                _ => key.Append(c),
            };
        }

        return key.ToString();
    }
}
