-- 003-persistence.sql: grain state storage for Microsoft.Orleans.Persistence.AdoNet
-- 10.4.2 (AdoNetGrainStorage), invariant "Npgsql". Needs 001-main.sql.
-- Adds the "one first write per grain" guarantee our lock service relies on.
--
-- Query keys (AdoNetGrainStorage.Init loads exactly these four):
--   WriteToStorageKey   -> column "NewGrainStateVersion"        (required)
--   ReadFromStorageKey  -> columns "PayloadBinary", "Version"   (required)
--   ClearStorageKey     -> column 0 = new version               (required; DeleteStateOnClear = false)
--   DeleteStorageKey    -> column 0 = the version after the deleted one (optional; needed for DeleteStateOnClear = true)
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
    version                integer      NOT NULL,   -- the grain's ETag; starts at 1, wraps to 1 after 2^31 - 1 (005)

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

-- The write query and the clear/delete functions, which bump the version, are
-- in 005-storage-versions.sql: it wraps the version instead of overflowing it
-- and also upgrades a database prepared by an earlier version of this file.

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

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
