using Npgsql;

namespace LockService.Testing;

/// <summary>
/// A fresh database on a throwaway PostgreSQL server, prepared only from the repository's <c>sql/</c> folder, so the
/// schema an operator applies is the one under test.
/// </summary>
public static class SchemaDatabase
{
    /// <summary>
    /// Creates database <paramref name="name"/>, applies every <c>*.sql</c> file of <paramref name="sqlFolder"/> in
    /// name order and then <paramref name="extraSchema"/> (tables of the test itself), and returns its connection string.
    /// </summary>
    public static async Task<string> CreateAsync(string adminConnectionString, string name, string sqlFolder, string? extraSchema = null)
    {
        var files = Directory.GetFiles(sqlFolder, "*.sql").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            throw new InvalidOperationException($"No .sql files in {sqlFolder}.");
        }

        await using (var admin = new NpgsqlConnection(adminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var file in files)
        {
            await using var command = new NpgsqlCommand(await File.ReadAllTextAsync(file), connection);
            await command.ExecuteNonQueryAsync();
        }

        if (extraSchema is not null)
        {
            await using var command = new NpgsqlCommand(extraSchema, connection);
            await command.ExecuteNonQueryAsync();
        }

        return connectionString;
    }
}
