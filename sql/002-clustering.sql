-- 002-clustering.sql: cluster membership tables and queries for
-- Microsoft.Orleans.Clustering.AdoNet 10.4.2 (silo membership table and the
-- gateway list used by clients), invariant "Npgsql". Needs 001-main.sql.
--
-- Query keys (all required by the 10.4.2 provider unless marked optional):
--   InsertMembershipVersionKey      @DeploymentId                         -> 1 column, truthy if inserted
--   InsertMembershipKey             @DeploymentId @Address @Port @Generation @SiloName @HostName
--                                   @Status @ProxyPort @StartTime @IAmAliveTime @Version
--                                                                         -> 1 column, truthy on success
--   UpdateMembershipKey             @DeploymentId @Address @Port @Generation @Status @SuspectTimes
--                                   @IAmAliveTime @Version                -> 1 column, truthy on success
--   UpdateIAmAlivetimeKey           @DeploymentId @Address @Port @Generation @IAmAliveTime (no result read)
--   MembershipReadRowKey            @DeploymentId @Address @Port @Generation -> membership rows
--   MembershipReadAllKey            @DeploymentId                         -> membership rows
--   GatewaysQueryKey                @DeploymentId @Status                 -> Address, ProxyPort, Generation
--   DeleteMembershipTableEntriesKey @DeploymentId                         (no result read)
--   CleanupDefunctSiloEntriesKey    @DeploymentId @IAmAliveTime           (no result read)
--   CleanupDefunctSiloEntryKey      OPTIONAL, new in the 10.4 line: @DeploymentId @Address @Port
--                                   @Generation @StartTime @IAmAliveTime @SuspectTimes (no result read)
--
-- The etag the provider sends as @Version is the table version it last read;
-- a write succeeds only if that is still the current version, and bumps it.
-- SiloStatus values used below: 3 = Active, 6 = Dead.

BEGIN;

-- One row per cluster (DeploymentId = ClusterId). Its Version is the table
-- version (etag) that serialises every membership change of the cluster.
CREATE TABLE OrleansMembershipVersionTable
(
    DeploymentId varchar(150)   NOT NULL,
    Timestamp    timestamptz(3) NOT NULL DEFAULT now(),
    Version      integer        NOT NULL DEFAULT 0,

    CONSTRAINT PK_OrleansMembershipVersionTable_DeploymentId PRIMARY KEY (DeploymentId)
);

-- One row per silo incarnation (address, port, generation).
-- SuspectTimes is the provider's own text encoding
-- ("silo,time|silo,time|..."); the database never parses it.
CREATE TABLE OrleansMembershipTable
(
    DeploymentId varchar(150)   NOT NULL,
    Address      varchar(45)    NOT NULL,
    Port         integer        NOT NULL,
    Generation   integer        NOT NULL,
    SiloName     varchar(150)   NOT NULL,
    HostName     varchar(150)   NOT NULL,
    Status       integer        NOT NULL,
    ProxyPort    integer        NULL,
    SuspectTimes varchar(8000)  NULL,
    StartTime    timestamptz(3) NOT NULL,
    IAmAliveTime timestamptz(3) NOT NULL,

    CONSTRAINT PK_MembershipTable_DeploymentId PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_MembershipTable_MembershipVersionTable_DeploymentId
        FOREIGN KEY (DeploymentId) REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

-- Conditional writes.
--
-- A membership write is "bump the table version if it still equals @Version,
-- then change the silo row"; both must happen or neither. The version row is
-- updated first, so concurrent writers queue on its row lock and every writer
-- after the winner finds a different version and gives up without touching
-- the silo rows. When a step affects no row the function raises a private
-- SQLSTATE, which its own EXCEPTION block catches: that rolls back the
-- block's subtransaction (undoing the version bump) and the function returns
-- 0, which the provider reads as "false" (Convert.ToBoolean on the single
-- result column). Upstream used ASSERT for this; ASSERT becomes a no-op when
-- plpgsql.check_asserts = off, which would commit half a write, so an
-- explicit RAISE is used here. Any other error propagates and the provider
-- treats it as a failed (retryable) write. "Version < 2147483647" turns an
-- integer overflow into a plain "false" instead of an error.

CREATE FUNCTION orleans_membership_insert(
    p_deployment_id  varchar,
    p_address        varchar,
    p_port           integer,
    p_generation     integer,
    p_silo_name      varchar,
    p_host_name      varchar,
    p_status         integer,
    p_proxy_port     integer,
    p_start_time     timestamptz,
    p_i_am_alive     timestamptz,
    p_version        integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    affected integer;
BEGIN
    BEGIN
        UPDATE OrleansMembershipVersionTable
        SET Version = Version + 1,
            Timestamp = now()
        WHERE DeploymentId = p_deployment_id
          AND Version = p_version
          AND Version < 2147483647;
        GET DIAGNOSTICS affected = ROW_COUNT;
        IF affected = 0 THEN
            RAISE EXCEPTION 'membership version mismatch' USING ERRCODE = 'OR001';
        END IF;

        -- A silo incarnation may be inserted only once.
        INSERT INTO OrleansMembershipTable
            (DeploymentId, Address, Port, Generation, SiloName, HostName,
             Status, ProxyPort, StartTime, IAmAliveTime)
        VALUES
            (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name,
             p_status, p_proxy_port, p_start_time, p_i_am_alive)
        ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING;
        GET DIAGNOSTICS affected = ROW_COUNT;
        IF affected = 0 THEN
            RAISE EXCEPTION 'membership row already exists' USING ERRCODE = 'OR001';
        END IF;

        RETURN 1;
    EXCEPTION
        WHEN SQLSTATE 'OR001' THEN
            RETURN 0;
    END;
END
$fn$;

CREATE FUNCTION orleans_membership_update(
    p_deployment_id  varchar,
    p_address        varchar,
    p_port           integer,
    p_generation     integer,
    p_status         integer,
    p_suspect_times  varchar,
    p_i_am_alive     timestamptz,
    p_version        integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    affected integer;
BEGIN
    BEGIN
        UPDATE OrleansMembershipVersionTable
        SET Version = Version + 1,
            Timestamp = now()
        WHERE DeploymentId = p_deployment_id
          AND Version = p_version
          AND Version < 2147483647;
        GET DIAGNOSTICS affected = ROW_COUNT;
        IF affected = 0 THEN
            RAISE EXCEPTION 'membership version mismatch' USING ERRCODE = 'OR001';
        END IF;

        UPDATE OrleansMembershipTable
        SET Status = p_status,
            SuspectTimes = p_suspect_times,
            IAmAliveTime = p_i_am_alive
        WHERE DeploymentId = p_deployment_id
          AND Address = p_address
          AND Port = p_port
          AND Generation = p_generation;
        GET DIAGNOSTICS affected = ROW_COUNT;
        IF affected = 0 THEN
            RAISE EXCEPTION 'membership row not found' USING ERRCODE = 'OR001';
        END IF;

        RETURN 1;
    EXCEPTION
        WHEN SQLSTATE 'OR001' THEN
            RETURN 0;
    END;
END
$fn$;

-- Shared SELECT list of the two membership reads. The provider reads, by name:
-- Address, Port, Generation, SiloName (optional), HostName, Status, ProxyPort,
-- SuspectTimes, StartTime, IAmAliveTime and Version. The version table is the
-- driving side of a LEFT JOIN so a cluster with no silos still yields one row
-- (all silo columns NULL, StartTime NULL means "no entry") carrying the
-- current table version. One statement = one snapshot, so the rows and the
-- version are consistent with each other.

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Creates the cluster's version row if missing; returns 1 if it was created, 0 if it existed.
('InsertMembershipVersionKey', $q$
    WITH inserted AS (
        INSERT INTO OrleansMembershipVersionTable (DeploymentId)
        VALUES (@DeploymentId)
        ON CONFLICT (DeploymentId) DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer AS "RowCount" FROM inserted;
$q$),

('InsertMembershipKey', $q$
    SELECT orleans_membership_insert(
        @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
        @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS "RowCount";
$q$),

('UpdateMembershipKey', $q$
    SELECT orleans_membership_update(
        @DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes,
        @IAmAliveTime, @Version) AS "RowCount";
$q$),

-- Heartbeat: a single primary-key update of the silo's own row. It does not
-- touch the table version (heartbeats are not membership changes) and its
-- outcome is not checked by the provider.
('UpdateIAmAlivetimeKey', $q$
    UPDATE OrleansMembershipTable
    SET IAmAliveTime = @IAmAliveTime
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address
      AND Port = @Port
      AND Generation = @Generation;
$q$),

('MembershipReadRowKey', $q$
    SELECT
        v.DeploymentId AS "DeploymentId",
        m.Address      AS "Address",
        m.Port         AS "Port",
        m.Generation   AS "Generation",
        m.SiloName     AS "SiloName",
        m.HostName     AS "HostName",
        m.Status       AS "Status",
        m.ProxyPort    AS "ProxyPort",
        m.SuspectTimes AS "SuspectTimes",
        m.StartTime    AS "StartTime",
        m.IAmAliveTime AS "IAmAliveTime",
        v.Version      AS "Version"
    FROM OrleansMembershipVersionTable v
    LEFT JOIN OrleansMembershipTable m
           ON m.DeploymentId = v.DeploymentId
          AND m.Address = @Address
          AND m.Port = @Port
          AND m.Generation = @Generation
    WHERE v.DeploymentId = @DeploymentId;
$q$),

('MembershipReadAllKey', $q$
    SELECT
        v.DeploymentId AS "DeploymentId",
        m.Address      AS "Address",
        m.Port         AS "Port",
        m.Generation   AS "Generation",
        m.SiloName     AS "SiloName",
        m.HostName     AS "HostName",
        m.Status       AS "Status",
        m.ProxyPort    AS "ProxyPort",
        m.SuspectTimes AS "SuspectTimes",
        m.StartTime    AS "StartTime",
        m.IAmAliveTime AS "IAmAliveTime",
        v.Version      AS "Version"
    FROM OrleansMembershipVersionTable v
    LEFT JOIN OrleansMembershipTable m
           ON m.DeploymentId = v.DeploymentId
    WHERE v.DeploymentId = @DeploymentId;
$q$),

-- Gateways for clients: silos in @Status (the provider passes 3 = Active)
-- that expose a gateway (proxy) port.
('GatewaysQueryKey', $q$
    SELECT
        Address    AS "Address",
        ProxyPort  AS "ProxyPort",
        Generation AS "Generation"
    FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = @Status
      AND ProxyPort > 0;
$q$),

-- Drops the whole cluster (used by tests / explicit resets). Two statements in
-- one command; Npgsql runs them as one batch.
('DeleteMembershipTableEntriesKey', $q$
    DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
    DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
$q$),

-- Bulk cleanup, used by 10.4.2 only if CleanupDefunctSiloEntryKey is absent.
-- Deletes Dead silos whose start and last heartbeat are both older than the
-- cutoff. Rows that still carry suspicion votes are kept, because the vote
-- timestamps live inside the SuspectTimes text and cannot be compared here.
-- (Older upstream scripts deleted every non-Active row, including Joining and
-- ShuttingDown silos.) The table version is not bumped: removing long-dead
-- rows is not a membership change.
('CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = 6
      AND IAmAliveTime < @IAmAliveTime
      AND StartTime < @IAmAliveTime
      AND COALESCE(SuspectTimes, '') = '';
$q$),

-- Optional per-row cleanup (the 10.4.2 provider uses it when present). The
-- provider reads all rows, decides in C# which Dead rows are older than the
-- cutoff (start, heartbeat and every suspicion vote), and deletes each one
-- only if it still has exactly the values it read ("captured row"), so a row
-- that changed meanwhile is left alone. Version not bumped, as above.
('CleanupDefunctSiloEntryKey', $q$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address
      AND Port = @Port
      AND Generation = @Generation
      AND Status = 6
      AND StartTime = @StartTime
      AND IAmAliveTime = @IAmAliveTime
      AND COALESCE(SuspectTimes, '') = COALESCE(@SuspectTimes, '');
$q$);

COMMIT;
