using System.Globalization;
using System.Text.RegularExpressions;

namespace LockService;

/// <summary>
/// Durations as people write them in crontabs: <c>30s</c>, <c>5m</c>, <c>1h30m</c>, <c>250ms</c>, <c>2d</c>, or plain
/// seconds. One parser for every surface that takes a duration as text: lockctl's options and the HTTP API's bodies.
/// </summary>
public static partial class Durations
{
    /// <summary>The word lockctl accepts for "no time limit".</summary>
    public const string Forever = "forever";

    /// <summary>Parses <paramref name="text"/>; false when it is not a non-negative duration in the forms above.</summary>
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

    /// <summary>
    /// A short form of <paramref name="duration"/> in the same units <see cref="TryParse"/> reads, so a message can be
    /// pasted back as an option: <c>250ms</c>, <c>2.9s</c>, <c>5m</c>, <c>1h30m</c>, <c>2d3h</c>.
    /// </summary>
    public static string Describe(TimeSpan duration)
    {
        if (duration < TimeSpan.FromSeconds(1))
        {
            return $"{Math.Max(0, duration.TotalMilliseconds).ToString("0", CultureInfo.InvariantCulture)}ms";
        }

        if (duration < TimeSpan.FromMinutes(1))
        {
            return $"{duration.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s";
        }

        var text = new System.Text.StringBuilder();
        Append(text, duration.Days, "d");
        Append(text, duration.Hours, "h");
        Append(text, duration.Minutes, "m");
        Append(text, duration.Seconds, "s");
        return text.ToString();
    }

    private static void Append(System.Text.StringBuilder text, int value, string unit)
    {
        if (value > 0)
        {
            text.Append(value.ToString(CultureInfo.InvariantCulture)).Append(unit);
        }
    }

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?(ms|s|m|h|d))+$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?<value>\d+(\.\d+)?)(?<unit>ms|s|m|h|d)$")]
    private static partial Regex UnitPattern();
}
