using System.Text;

namespace LockService.Grains;

/// <summary>
/// The grain id under which a lock's state is stored. Orleans' ADO.NET grain storage (10.4.2, <c>AdoGrainKey.ToString</c>)
/// passes the stored key to <see cref="string.Format(string, object?[])"/> as the format itself, right after the write
/// and before it checks the result, so a key with <c>{</c> or <c>}</c> turns every successful write into a
/// <see cref="FormatException"/> (or, for balanced <c>{{</c>, works). Such names are therefore stored under a key
/// without braces; every other name keeps its plain key, so existing rows stay where they are.
/// </summary>
public static class LockStorageKeys
{
    // Never part of a valid lock name (LockArguments refuses U+FFFD), so an escaped key cannot be any name's plain key,
    // and an escaped key decodes one way only.
    private const char Escape = '\uFFFD';

    /// <summary>The storage id of lock <paramref name="lockName"/>.</summary>
    public static GrainId For(string lockName) => GrainId.Create("lock", HasBraces(lockName) ? Escaped(lockName) : lockName);

    /// <summary>
    /// Where a name with braces was stored before its key was escaped (a row may exist there, its fencing token
    /// included), or <see langword="null"/> for a name whose key never changed.
    /// </summary>
    public static GrainId? FormerFor(string lockName) => HasBraces(lockName) ? GrainId.Create("lock", lockName) : null;

    private static bool HasBraces(string lockName) => lockName.AsSpan().IndexOfAny('{', '}') >= 0;

    private static string Escaped(string lockName)
    {
        var key = new StringBuilder(lockName.Length + 8);
        foreach (var c in lockName)
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
