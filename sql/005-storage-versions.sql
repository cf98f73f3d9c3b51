-- 005-storage-versions.sql: the grain storage statements that move a row's
-- version (its ETag): write, clear and delete. Needs 001-main.sql and
-- 003-persistence.sql.
--
-- The version wraps from 2147483647 back to 1 instead of overflowing: the
-- column and the provider's ETag are 32-bit (the provider reads the version
-- with GetNullableInt32 and binds @GrainStateVersion as int4, so it cannot be
-- widened), and "version + 1" past 2^31 - 1 fails every later write to that
-- row with 22003 (integer out of range): a lock written 2^31 times (weeks, for
-- a lock granted 1,000 times a second) would be dead for good. The ETag check
-- only compares for equality, so a wrapped version is as good as any other; a
-- stale ETag could only match again after another 2^31 - 1 writes to the row.
--
-- Idempotent (CREATE OR REPLACE, an upsert of the query rows), so it also
-- upgrades a database prepared by an earlier 003-persistence.sql, which bumped
-- versions without a guard: run it once on such a database; running silos pick
-- up the new write query when they next start.

BEGIN;

-- The version after v. SQL, IMMUTABLE: PostgreSQL inlines it into the callers.
CREATE OR REPLACE FUNCTION orleans_storage_next_version(v integer)
RETURNS integer
LANGUAGE sql
IMMUTABLE
AS $fn$
    SELECT CASE WHEN v = 2147483647 THEN 1 ELSE v + 1 END;
$fn$;

-- Write (WriteToStorageKey): one plain statement (see the OrleansQuery row
-- below), not a function, so that Npgsql prepares it once per connection and
-- PostgreSQL runs it without a PL/pgSQL call or an exception-block
-- subtransaction. A grant's durable write is on the path of every handoff.
--
-- ETag NULL  -> first write: INSERT version 1. ON CONFLICT ON CONSTRAINT
--               uq_orleansstorage_grain DO NOTHING: if the row exists, or
--               another transaction is inserting it right now (we wait for it
--               to commit), no row is written and NULL is returned.
-- ETag given -> UPDATE ... WHERE version = ETag, setting the next version. Under
--               READ COMMITTED (the Npgsql default) a concurrent writer with
--               the same ETag blocks on the row lock; once the first one
--               commits, PostgreSQL re-checks the WHERE clause against the new
--               row version, finds version <> ETag and updates nothing, so
--               exactly one of them succeeds and the other gets NULL. A
--               deleted row also yields NULL. The new version is taken from
--               RETURNING, not computed from the argument.
-- Only one of the two branches can write (the INSERT only runs for a NULL ETag,
-- and "version = NULL" matches no row), and the statement always returns
-- exactly one row. Under REPEATABLE READ / SERIALIZABLE (never used by the
-- provider) a lost race raises serialization_failure (40001) instead; the
-- provider reports that as a storage error, which fails closed just the same.

-- Clear (ClearStorageKey, DeleteStateOnClear = false): keep the row, drop the
-- payload and bump the version, so the grain's next write is an ETag-checked
-- UPDATE and a stale activation cannot resurrect old state. Same concurrency
-- rules and NULL-on-failure result as the UPDATE branch above. The provider
-- keeps the returned value as the new ETag.
CREATE OR REPLACE FUNCTION orleans_storage_clear(
    p_grainidhash            integer,
    p_grainidn0              bigint,
    p_grainidn1              bigint,
    p_graintypehash          integer,
    p_graintypestring        varchar,
    p_grainidextensionstring varchar,
    p_serviceid              varchar,
    p_grainstateversion      integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    new_version integer;
BEGIN
    UPDATE OrleansStorage
    SET payloadbinary = NULL,
        modifiedon    = now(),
        version       = orleans_storage_next_version(version)
    WHERE grainidhash = p_grainidhash
      AND grainidn0 = p_grainidn0
      AND grainidn1 = p_grainidn1
      AND graintypehash = p_graintypehash
      AND graintypestring = p_graintypestring
      AND grainidextensionstring IS NOT DISTINCT FROM p_grainidextensionstring
      AND serviceid = p_serviceid
      AND version = p_grainstateversion
    RETURNING version INTO new_version;
    RETURN new_version;
EXCEPTION
    WHEN serialization_failure THEN
        RETURN NULL;
END
$fn$;

-- Delete (DeleteStorageKey, DeleteStateOnClear = true): remove the row if the
-- ETag still matches. The provider only needs a value that differs from the
-- ETag to accept the delete (it then resets the ETag to NULL, so the next
-- write is a first INSERT again), hence "the version after the deleted one"; NULL if
-- nothing was deleted.
CREATE OR REPLACE FUNCTION orleans_storage_delete(
    p_grainidhash            integer,
    p_grainidn0              bigint,
    p_grainidn1              bigint,
    p_graintypehash          integer,
    p_graintypestring        varchar,
    p_grainidextensionstring varchar,
    p_serviceid              varchar,
    p_grainstateversion      integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    next_version integer;
BEGIN
    DELETE FROM OrleansStorage
    WHERE grainidhash = p_grainidhash
      AND grainidn0 = p_grainidn0
      AND grainidn1 = p_grainidn1
      AND graintypehash = p_graintypehash
      AND graintypestring = p_graintypestring
      AND grainidextensionstring IS NOT DISTINCT FROM p_grainidextensionstring
      AND serviceid = p_serviceid
      AND version = p_grainstateversion
    RETURNING orleans_storage_next_version(version) INTO next_version;
    RETURN next_version;
EXCEPTION
    WHEN serialization_failure THEN
        RETURN NULL;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

('WriteToStorageKey', $q$
    WITH inserted AS (
        INSERT INTO OrleansStorage
            (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring,
             grainidextensionstring, serviceid, payloadbinary, modifiedon, version)
        SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
               @GrainIdExtensionString, @ServiceId, @PayloadBinary, now(), 1
        WHERE @GrainStateVersion IS NULL
        ON CONFLICT ON CONSTRAINT uq_orleansstorage_grain DO NOTHING
        RETURNING version
    ), updated AS (
        UPDATE OrleansStorage
        SET payloadbinary = @PayloadBinary,
            modifiedon    = now(),
            version       = orleans_storage_next_version(version)
        WHERE grainidhash = @GrainIdHash
          AND grainidn0 = @GrainIdN0
          AND grainidn1 = @GrainIdN1
          AND graintypehash = @GrainTypeHash
          AND graintypestring = @GrainTypeString
          AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
          AND serviceid = @ServiceId
          AND version = @GrainStateVersion
        RETURNING version
    )
    SELECT COALESCE((SELECT version FROM inserted), (SELECT version FROM updated)) AS "NewGrainStateVersion";
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

COMMIT;
