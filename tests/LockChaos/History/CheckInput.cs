using System.Text.Json;

namespace LockService.Chaos.History;

/// <summary>
/// What the checker needs besides the history: the final state read from the test's database and the test's own
/// rules. Kept next to the history (<c>check-input.json</c>) so <c>LockChaos check DIR</c> can judge it again after
/// the database is gone, e.g. to inspect a failed run.
/// </summary>
public sealed record CheckInput(FinalState Final, TimeSpan RecoveryBound, bool MeasureC3, bool MeasureC7 = false)
{
    public const string FileName = "check-input.json";

    // The fenced log is a list of tuples, whose values are fields.
    private static readonly JsonSerializerOptions Json = new() { IncludeFields = true, WriteIndented = true };

    public Task WriteAsync(string folder) => File.WriteAllTextAsync(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, Json));

    public static CheckInput Read(string folder) =>
        JsonSerializer.Deserialize<CheckInput>(File.ReadAllText(Path.Combine(folder, FileName)), Json)
        ?? throw new InvalidDataException($"{Path.Combine(folder, FileName)} is empty.");
}
