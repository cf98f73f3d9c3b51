using LockService.Testing;
namespace LockService.Tests.Infrastructure;

/// <summary>Finds files of the repository from the test binaries, wherever the build put them.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string SqlFolder => Path.Combine(Root, "sql");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "LockService.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Cannot find the repository root (LockService.slnx) above {AppContext.BaseDirectory}.");
    }
}
