namespace LockService.Demo;

/// <summary>Tells what happens in plain words and keeps count of scenarios that did not behave.</summary>
internal sealed class Narrator
{
    private int _failures;

    public int Failures => _failures;

    public void Scenario(int number, string title)
    {
        Console.WriteLine();
        Console.WriteLine($"== {number}. {title}");
    }

    public void Say(string text) => Console.WriteLine($"   {text}");

    /// <summary>Records whether an expectation held; says so either way.</summary>
    public bool Expect(bool condition, string whatShouldHold)
    {
        if (condition)
        {
            Console.WriteLine($"   ok: {whatShouldHold}");
        }
        else
        {
            _failures++;
            Console.WriteLine($"   FAILED: expected {whatShouldHold}");
        }

        return condition;
    }

    public static string Time(DateTimeOffset? at) => at is { } value ? value.ToLocalTime().ToString("HH:mm:ss.fff") : "-";
}
