namespace LockService.Cli;

/// <summary>How lockctl talks to the person at the terminal: one line on stderr, prefixed with its name.</summary>
internal static class Cli
{
    public static void Error(string message) => Console.Error.WriteLine($"lockctl: {message}");

    /// <summary>Runs a check from the libraries' rules and turns its ArgumentException into a usage error.</summary>
    public static T Validate<T>(Func<T> check)
    {
        try
        {
            return check();
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(exception.Message);
        }
    }
}
