using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace LockService.Cli;

/// <summary>
/// The command lockctl runs, in a process group of its own (through <c>setsid</c>), so that losing the lock can stop
/// the whole job, not just its first process. Its stdout and stderr are lockctl's own, untouched; so is its stdin,
/// unless it is given text to read there (a task's payload).
/// </summary>
internal sealed partial class ChildProcess : IDisposable
{
    private const string Setsid = "/usr/bin/setsid";
    private readonly Process _process;
    private readonly bool _ownGroup;

    private ChildProcess(Process process, bool ownGroup)
    {
        _process = process;
        _ownGroup = ownGroup;
    }

    public bool HasExited => _process.HasExited;

    /// <exception cref="Win32Exception">The command could not be started.</exception>
    public static ChildProcess Start(IReadOnlyList<string> command, bool throughShell, IReadOnlyDictionary<string, string> environment, string? standardInput = null)
    {
        var arguments = throughShell ? ["/bin/sh", "-c", string.Join(' ', command)] : command.ToList();
        var ownGroup = File.Exists(Setsid);
        var start = new ProcessStartInfo(ownGroup ? Setsid : arguments[0]) 
        {
            UseShellExecute = false,
            RedirectStandardInput = standardInput is not null,
            StandardInputEncoding = standardInput is null ? null : new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        };
        foreach (var argument in ownGroup ? arguments : arguments.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new Win32Exception($"could not start '{arguments[0]}'");
        if (standardInput is not null)
        {
            // In the background: a payload larger than the pipe's buffer would block until the command reads it.
            _ = WriteInputAsync(process.StandardInput, standardInput);
        }

        return new ChildProcess(process, ownGroup);
    }

    private static async Task WriteInputAsync(StreamWriter input, string text)
    {
        try
        {
            await using (input)
            {
                await input.WriteAsync(text);
            }
        }
        catch (IOException)
        {
            // The command exited (or closed its stdin) without reading all of it: its choice.
        }
    }

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    /// <summary>Sends <paramref name="signal"/> to the command's whole process group (or just the command without setsid).</summary>
    public void Signal(PosixSignalNumber signal)
    {
        if (!_process.HasExited)
        {
            _ = Kill(_ownGroup ? -_process.Id : _process.Id, (int)signal);
        }
    }

    public void Dispose() => _process.Dispose();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>Linux signal numbers lockctl sends.</summary>
internal enum PosixSignalNumber
{
    Hangup = 1,
    Interrupt = 2,
    Quit = 3,
    Kill = 9,
    Terminate = 15,
}
