-- 001-main.sql: shared base for the Orleans 10.4.2 ADO.NET providers on PostgreSQL
-- (invariant "Npgsql"): the OrleansQuery catalog that clustering, persistence and
-- reminders read their SQL from. Apply before 002..004, on PostgreSQL 15 or newer.
--
-- How the providers use this database (checked against the decompiled 10.4.2
-- assemblies and src/AdoNet in dotnet/orleans):
--
--  * At start-up each provider runs
--        SELECT QueryKey, QueryText FROM OrleansQuery [WHERE QueryKey = ...]
--    and caches the texts. Clustering and reminders fail fast if one of their
--    required keys is missing; persistence requires WriteToStorageKey,
--    ReadFromStorageKey and ClearStorageKey (DeleteStorageKey only when
--    DeleteStateOnClear = true). A changed QueryText takes effect only after the
--    silo restarts.
--  * Query texts use @Name placeholders. Npgsql binds them as typed parameters
--    (DbType taken from the .NET type: int -> int4, long -> int8, string -> text,
--    byte[] -> bytea, UTC DateTime -> timestamptz; a null keeps its type). A text
--    may only use parameter names the provider actually binds for that key, or
--    the command fails; binding more parameters than the text uses is harmless.
--  * Results are read by column name (Npgsql's GetOrdinal is case-insensitive,
--    but the result columns here use the exact case the C# code asks for), except
--    where noted (ClearStorageKey / DeleteStorageKey read column 0, the boolean
--    membership/reminder queries read exactly one column).
--  * The query texts are stored with dollar quoting ($q$ ... $q$) so they need no
--    doubled quotes; Npgsql sends them unchanged apart from the placeholders.
--
-- Each file runs in its own transaction so a failure leaves nothing half-created.
-- Objects go into the first schema on search_path (normally "public"). The files
-- are meant for an empty database (docker-entrypoint-initdb.d or
-- psql -v ON_ERROR_STOP=1 -f ...); they are not re-runnable.

BEGIN;

-- 003-persistence.sql uses UNIQUE ... NULLS NOT DISTINCT, which needs PG 15.
-- Fail with a clear message instead of a syntax error halfway through.
DO $check$
BEGIN
    IF current_setting('server_version_num')::integer < 150000 THEN
        RAISE EXCEPTION 'These Orleans schema scripts need PostgreSQL 15 or newer (found %)',
            current_setting('server_version');
    END IF;
END
$check$;

-- The catalog every provider reads. Table and column names are part of the
-- provider contract and must not change. QueryText is "text" (upstream uses
-- varchar(8000)); the provider only reads it as a string.
CREATE TABLE OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,

    CONSTRAINT OrleansQuery_Key PRIMARY KEY (QueryKey)
);

COMMIT;
