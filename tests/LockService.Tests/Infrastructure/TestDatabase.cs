using LockService.Testing;
using Npgsql;

namespace LockService.Tests.Infrastructure;

/// <summary>
/// The throwaway PostgreSQL server that <c>scripts/test.sh</c> starts. Each fixture gets a database of its own,
/// created empty and prepared only from the repository's <c>sql/</c> folder, so the schema itself is under test.
/// </summary>
public static class TestDatabase
{
    public const string AdminVariable = "LOCKS_TEST_POSTGRES_ADMIN";

    /// <summary>Connection string to the server's maintenance database; fails loudly (never skips) when absent.</summary>
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable(AdminVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{AdminVariable} is not set. These tests need a real PostgreSQL server: run them through scripts/test.sh, " +
                "which installs and starts one and sets the variable.");

    /// <summary>Creates an empty database, applies every <c>sql/*.sql</c> file in name order, returns its connection string.</summary>
    public static Task<string> CreateAsync(string prefix) =>
        SchemaDatabase.CreateAsync(AdminConnectionString, $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)], RepositoryPaths.SqlFolder);

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (parameterName, value) in parameters)
        {
            command.Parameters.AddWithValue(parameterName, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<int> ExecuteAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (parameterName, value) in parameters)
        {
            command.Parameters.AddWithValue(parameterName, value);
        }

        return await command.ExecuteNonQueryAsync();
    }
}
