using System.Globalization;
using System.Text.RegularExpressions;

namespace LockService.Cli;

/// <summary>Durations as people write them in crontabs: <c>30s</c>, <c>5m</c>, <c>1h30m</c>, <c>250ms</c>, <c>2d</c>, or plain seconds.</summary>
internal static partial class Durations
{
    public const string Forever = "forever";

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds < 0 || double.IsNaN(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds)
            {
                return false;
            }

            duration = TimeSpan.FromSeconds(seconds);
            return true;
        }

        var match = DurationPattern().Match(text);
        if (!match.Success || text.Length == 0)
        {
            return false;
        }

        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = UnitPattern().Match(part.Value);
            var value = double.Parse(unit.Groups["value"].Value, CultureInfo.InvariantCulture);
            duration += unit.Groups["unit"].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                "d" => TimeSpan.FromDays(value),
                _ => throw new InvalidOperationException("unreachable"),
            };
        }

        return true;
    }

    public static string Describe(TimeSpan duration) =>
        duration.TotalSeconds < 1 ? $"{duration.TotalMilliseconds:0}ms" : duration.ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture).TrimStart('0', '.', ':') is { Length: > 0 } s ? s : "0s";

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?(ms|s|m|h|d))+$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?<value>\d+(\.\d+)?)(?<unit>ms|s|m|h|d)$")]
    private static partial Regex UnitPattern();
}
