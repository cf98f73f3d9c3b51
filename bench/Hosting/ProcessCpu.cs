namespace LockService.Bench.Hosting;

/// <summary>The CPU time (user + system) of processes on this machine, read from <c>/proc/PID/stat</c>.</summary>
internal static class ProcessCpu
{
    private const double ClockTicksPerSecond = 100; // USER_HZ: 100 on every Linux architecture .NET runs on

    /// <summary>The CPU seconds <paramref name="pids"/> have used so far, together; a process that ended counts 0.</summary>
    public static double SecondsOf(IEnumerable<int> pids) => pids.Sum(pid => ReadStat(pid)?.CpuTicks ?? 0) / ClockTicksPerSecond;

    /// <summary>The CPU seconds of every process whose parent is <paramref name="parent"/>, and of the parent itself.</summary>
    public static double SecondsOfTree(int parent)
    {
        long ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && ReadStat(pid) is { } stat && (pid == parent || stat.Parent == parent))
            {
                ticks += stat.CpuTicks;
            }
        }

        return ticks / ClockTicksPerSecond;
    }

    /// <summary>The parent of <paramref name="pid"/>, or <see langword="null"/> if it is gone.</summary>
    public static int? ParentOf(int pid) => ReadStat(pid)?.Parent;

    // /proc/PID/stat: "pid (comm) state ppid ... utime stime ...", comm may hold spaces and parentheses.
    private static (int Parent, long CpuTicks)? ReadStat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (int.Parse(fields[1]), long.Parse(fields[11]) + long.Parse(fields[12]));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null; // The process ended meanwhile.
        }
    }
}
