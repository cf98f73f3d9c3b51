namespace LockService.Silo;

/// <summary>The connection pools a durable silo opens on PostgreSQL, one per Orleans provider that uses it.</summary>
public enum PostgresPool
{
    /// <summary>The membership table (ADO.NET clustering).</summary>
    Clustering,

    /// <summary>Lock state (ADO.NET grain storage).</summary>
    Storage,

    /// <summary>Reminders (ADO.NET reminder service).</summary>
    Reminders,
}
