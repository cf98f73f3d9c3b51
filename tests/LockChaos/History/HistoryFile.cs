using System.Diagnostics;
using System.Text.Json;

namespace LockService.Chaos.History;

/// <summary>Appends events as JSON lines, flushed one by one so a process killed with SIGKILL loses at most the line it was writing.</summary>
public sealed class HistoryFile : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _gate = new();

    public HistoryFile(string path)
    {
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public static long Now() => Stopwatch.GetTimestamp();

    public void Write(HistoryEvent entry)
    {
        var line = JsonSerializer.Serialize(entry, HistoryJsonContext.Default.HistoryEvent);
        lock (_gate)
        {
            _writer.WriteLine(line);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Dispose();
        }
    }

    /// <summary>Every event of every <c>*.jsonl</c> file in a folder; a torn last line of a killed process is skipped.</summary>
    public static List<HistoryEvent> ReadAll(string folder)
    {
        var events = new List<HistoryEvent>();
        foreach (var file in Directory.GetFiles(folder, "*.jsonl"))
        {
            foreach (var line in File.ReadLines(file))
            {
                if (line.Length == 0)
                {
                    continue;
                }

                try
                {
                    events.Add(JsonSerializer.Deserialize(line, HistoryJsonContext.Default.HistoryEvent)!);
                }
                catch (JsonException)
                {
                    // The line a SIGKILL interrupted: it was never completed, so nothing depends on it.
                }
            }
        }

        return events;
    }
}
