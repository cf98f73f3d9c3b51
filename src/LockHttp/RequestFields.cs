namespace LockService.Http;

/// <summary>
/// Reads the fields of a request body that the grains cannot check themselves: durations as text (<c>"30s"</c>, by
/// the same parser as lockctl's) and the long-poll bound. A bad field throws <see cref="ArgumentException"/> with the
/// field as its parameter name, which the API answers as 400 validation naming the field and the rule.
/// </summary>
public static class RequestFields
{
    /// <summary>Longest long-poll: under nginx's default 60 s <c>proxy_read_timeout</c>, with room for the answer.</summary>
    public static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(55);

    /// <summary>The field's text, which must be present.</summary>
    public static string Required(string? value, string field) =>
        value ?? throw new ArgumentException($"Invalid {field}: it is required.", field);

    /// <summary>A required duration, like <c>"30s"</c>, <c>"500ms"</c> or <c>"2m"</c>.</summary>
    public static TimeSpan Duration(string? text, string field) =>
        Durations.TryParse(Required(text, field), out var duration)
            ? duration
            : throw new ArgumentException($"Invalid {field}: '{Shown(text!)}' is not a duration; write it like \"30s\", \"500ms\" or \"2m\".", field);

    /// <summary>The long-poll of <c>wait</c>: zero when absent, at most <see cref="LongestWait"/>.</summary>
    public static TimeSpan Wait(string? text)
    {
        if (text is null)
        {
            return TimeSpan.Zero;
        }

        var wait = Duration(text, "wait");
        return wait <= LongestWait
            ? wait
            : throw new ArgumentException($"Invalid wait: a long-poll waits at most {LongestWait.TotalSeconds:0}s (was {Durations.Describe(wait)}); call again to wait longer.", "wait");
    }

    private static string Shown(string text) => text.Length > 40 ? text[..40] + "..." : text;
}
