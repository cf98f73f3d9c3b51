-- 003-persistence.sql: grain state storage for Microsoft.Orleans.Persistence.AdoNet
-- 10.4.2 (AdoNetGrainStorage), invariant "Npgsql". Needs 001-main.sql.
-- Adds the "one first write per grain" guarantee our lock service relies on.
--
-- Query keys (AdoNetGrainStorage.Init loads exactly these four):
--   WriteToStorageKey   -> column "NewGrainStateVersion"        (required)
--   ReadFromStorageKey  -> columns "PayloadBinary", "Version"   (required)
--   ClearStorageKey     -> column 0 = new version               (required; DeleteStateOnClear = false)
--   DeleteStorageKey    -> column 0 = deleted version + 1       (optional; needed for DeleteStateOnClear = true)
-- Parameters bound by the provider for every key:
--   @GrainIdHash int4, @GrainIdN0 int8, @GrainIdN1 int8, @GrainTypeHash int4,
--   @GrainTypeString text, @GrainIdExtensionString text (NULL for plain
--   integer/Guid keys; the whole key for string-keyed grains), @ServiceId text;
--   write/clear/delete also @GrainStateVersion int4 (the grain's ETag, NULL if
--   the grain has never been stored or its row was deleted); write also
--   @PayloadBinary bytea.
--
-- How the provider decides that a write lost (InconsistentStateException).
-- Source: dotnet/orleans src/AdoNet/Orleans.Persistence.AdoNet/Storage/Provider/AdoNetGrainStorage.cs
-- (same logic in the decompiled 10.4.2 Orleans.Persistence.AdoNet.dll):
--   WriteStateAsync runs WriteToStorageKey and takes
--       storageVersion = results.SingleOrDefault() where each row is
--                        GetNullableInt32("NewGrainStateVersion").ToString()
--   so a row with NewGrainStateVersion = NULL gives "" and no row gives null.
--   CheckVersionInconsistency(storageVersion, grainVersion = ETag) throws
--   InconsistentStateException when
--       storageVersion == grainVersion          (version did not move)
--    || storageVersion == ""                    (NULL returned)
--    || (storageVersion == null && grainVersion != null)   (no row returned)
--   Otherwise the returned value becomes the grain's new ETag.
--   ClearStateAsync applies the same check to column 0 of ClearStorageKey /
--   DeleteStorageKey (read with GetValue(0).ToString(), so NULL -> "").
-- Every query below therefore returns exactly one row, whose value is the
-- new version on success and NULL when nothing was written. NULL is always
-- turned into InconsistentStateException, whatever the ETag was.
--
-- Duplicate activations: if two activations of one grain both start from "no
-- stored state" (ETag NULL), both send an INSERT. The unique constraint below
-- makes the second one impossible; the write query uses
-- INSERT ... ON CONFLICT ... DO NOTHING, so the loser gets NULL -> the
-- provider raises InconsistentStateException for it, instead of a raw
-- unique_violation (23505) surfacing as a generic storage error.

BEGIN;

CREATE TABLE OrleansStorage
(
    grainidhash            integer      NOT NULL,
    grainidn0              bigint       NOT NULL,
    grainidn1              bigint       NOT NULL,
    graintypehash          integer      NOT NULL,
    graintypestring        varchar(512) NOT NULL,
    grainidextensionstring varchar(512) NULL,
    serviceid              varchar(150) NOT NULL,
    payloadbinary          bytea        NULL,       -- NULL after a (non-deleting) clear
    modifiedon             timestamptz  NOT NULL DEFAULT now(),
    version                integer      NOT NULL,   -- the grain's ETag; starts at 1

    -- At most one row per grain identity and service. NULLS NOT DISTINCT
    -- (PostgreSQL 15+) makes two rows with a NULL grainidextensionstring count
    -- as duplicates too; a plain UNIQUE would let them both in. NULL and ''
    -- stay distinct, as the provider treats them as different keys. The index
    -- also serves the point lookups of every query below (all of its columns
    -- are compared for equality). btree entries are limited to ~2.7 kB, far
    -- above realistic keys (the two varchar(512) columns hold type name and
    -- string key).
    CONSTRAINT uq_orleansstorage_grain UNIQUE NULLS NOT DISTINCT
        (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring,
         grainidextensionstring, serviceid)
);

-- Write (WriteToStorageKey): one plain statement (see the OrleansQuery row
-- below), not a function, so that Npgsql prepares it once per connection and
-- PostgreSQL runs it without a PL/pgSQL call or an exception-block
-- subtransaction. A grant's durable write is on the path of every handoff.
--
-- ETag NULL  -> first write: INSERT version 1. ON CONFLICT ON CONSTRAINT
--               uq_orleansstorage_grain DO NOTHING: if the row exists, or
--               another transaction is inserting it right now (we wait for it
--               to commit), no row is written and NULL is returned.
-- ETag given -> UPDATE ... WHERE version = ETag, setting version + 1. Under
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
CREATE FUNCTION orleans_storage_clear(
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
        version       = version + 1
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
-- write is a first INSERT again), hence "deleted version + 1"; NULL if
-- nothing was deleted.
CREATE FUNCTION orleans_storage_delete(
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
    RETURNING version + 1 INTO next_version;
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
            version       = version + 1
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
$q$),

-- At most one row (the unique constraint), which the provider requires
-- (SingleOrDefault). No row = never stored; a row with NULL PayloadBinary =
-- cleared: the provider then starts from default state but keeps Version as
-- the ETag for its next write.
('ReadFromStorageKey', $q$
    SELECT
        payloadbinary AS "PayloadBinary",
        version       AS "Version"
    FROM OrleansStorage
    WHERE grainidhash = @GrainIdHash
      AND grainidn0 = @GrainIdN0
      AND grainidn1 = @GrainIdN1
      AND graintypehash = @GrainTypeHash
      AND graintypestring = @GrainTypeString
      AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
      AND serviceid = @ServiceId;
$q$),

('ClearStorageKey', $q$
    SELECT orleans_storage_clear(
        @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
        @GrainIdExtensionString, @ServiceId, @GrainStateVersion
    ) AS "NewGrainStateVersion";
$q$),

('DeleteStorageKey', $q$
    SELECT orleans_storage_delete(
        @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
        @GrainIdExtensionString, @ServiceId, @GrainStateVersion
    ) AS "NewGrainStateVersion";
$q$);

COMMIT;
