using System.CommandLine.Parsing;

namespace LockService.Cli;

/// <summary>Parsers for duration-valued options, with errors that name the flag.</summary>
internal static class DurationOption
{
    public static Func<ArgumentResult, TimeSpan> Parse(string flag, bool allowZero = false) => result =>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (!Durations.TryParse(text, out var duration) || (!allowZero && duration == TimeSpan.Zero))
        {
            result.AddError($"invalid {flag} '{text}': expected a {(allowZero ? "" : "positive ")}duration like 30s, 5m, 1h30m or 250ms.");
            return default;
        }

        return duration;
    };

    /// <summary>Like <see cref="Parse"/>, but also accepts <c>forever</c> (as <see cref="Timeout.InfiniteTimeSpan"/>).</summary>
    public static Func<ArgumentResult, TimeSpan> ParseOrForever(string flag) => result =>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (string.Equals(text, Durations.Forever, StringComparison.OrdinalIgnoreCase))
        {
            return Timeout.InfiniteTimeSpan;
        }

        if (!Durations.TryParse(text, out var duration))
        {
            result.AddError($"invalid {flag} '{text}': expected a duration like 0, 30s, 5m, or 'forever'.");
            return default;
        }

        return duration;
    };
}
