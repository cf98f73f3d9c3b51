using System.Text.Json;

namespace LockService.Chaos.History;

/// <summary>
/// What the checker needs besides the history: the final state read from the test's database and the test's own
/// rules. Kept next to the history (<c>check-input.json</c>) so <c>LockChaos check DIR</c> can judge it again after
/// the database is gone, e.g. to inspect a failed run. <see cref="ClockSkewAllowance"/> is the skew the test put
/// between the silos' clocks where C3 is still judged: each hold is judged as that much shorter, because the service
/// promises that skew shortens a lease by at most the clocks' difference, not that it never does.
/// </summary>
public sealed record CheckInput(FinalState Final, TimeSpan RecoveryBound, bool MeasureC3, bool MeasureC7 = false, TimeSpan ClockSkewAllowance = default)
{
    public const string FileName = "check-input.json";

    // The fenced log is a list of tuples, whose values are fields.
    private static readonly JsonSerializerOptions Json = new() { IncludeFields = true, WriteIndented = true };

    public Task WriteAsync(string folder) => File.WriteAllTextAsync(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, Json));

    public static CheckInput Read(string folder) =>
        JsonSerializer.Deserialize<CheckInput>(File.ReadAllText(Path.Combine(folder, FileName)), Json)
        ?? throw new InvalidDataException($"{Path.Combine(folder, FileName)} is empty.");
}
