-- 004-reminders.sql: reminder table and queries for
-- Microsoft.Orleans.Reminders.AdoNet 10.4.2 (AdoNetReminderTable), invariant
-- "Npgsql". Needs 001-main.sql.
--
-- Query keys (all seven are required by the 10.4.2 provider):
--   ReadReminderRowsKey    @ServiceId @GrainId                  -> reminder rows
--   ReadReminderRowKey     @ServiceId @GrainId @ReminderName    -> reminder rows (first one used)
--   ReadRangeRows1Key      @ServiceId @BeginHash @EndHash       -> reminder rows, hash in (Begin, End]
--   ReadRangeRows2Key      @ServiceId @BeginHash @EndHash       -> reminder rows, wrapping range
--   UpsertReminderRowKey   @ServiceId @GrainHash @GrainId @ReminderName @StartTime @Period
--                                                               -> column "Version" (the new ETag)
--   DeleteReminderRowKey   @ServiceId @GrainId @ReminderName @Version
--                                                               -> 1 column, truthy if deleted
--   DeleteReminderRowsKey  @ServiceId                           (no result read)
-- "Reminder rows" = columns GrainId, ReminderName, StartTime, Period, Version
-- read by name. Period is milliseconds (bound as int4, or int8 when it does not
-- fit, read back with GetInt64, hence bigint). GrainHash / BeginHash / EndHash
-- are the uint ring hashes cast to int4. GrainId is GrainId.ToString()
-- ("type/key").

BEGIN;

CREATE TABLE OrleansRemindersTable
(
    ServiceId    varchar(150)   NOT NULL,
    -- Upstream uses varchar(150); widened because our string keys (lock
    -- names, up to 512 characters in the storage table) are part of it.
    GrainId      varchar(1024)  NOT NULL,
    ReminderName varchar(150)   NOT NULL,
    StartTime    timestamptz(3) NOT NULL,
    Period       bigint         NOT NULL,
    GrainHash    integer        NOT NULL,
    Version      integer        NOT NULL,

    CONSTRAINT PK_RemindersTable_ServiceId_GrainId_ReminderName
        PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

-- Each silo periodically loads the reminders of its ring range(s); without
-- this index those reads scan the whole service's reminders.
CREATE INDEX IX_RemindersTable_ServiceId_GrainHash
    ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Insert or replace in one atomic statement: a new reminder starts at
-- version 0, every replacement bumps the version (the reminder's ETag).
('UpsertReminderRowKey', $q$
    INSERT INTO OrleansRemindersTable AS r
        (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
    VALUES
        (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
    ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
    SET StartTime = EXCLUDED.StartTime,
        Period    = EXCLUDED.Period,
        GrainHash = EXCLUDED.GrainHash,
        Version   = r.Version + 1
    RETURNING r.Version AS "Version";
$q$),

('ReadReminderRowsKey', $q$
    SELECT
        GrainId      AS "GrainId",
        ReminderName AS "ReminderName",
        StartTime    AS "StartTime",
        Period       AS "Period",
        Version      AS "Version"
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainId = @GrainId;
$q$),

('ReadReminderRowKey', $q$
    SELECT
        GrainId      AS "GrainId",
        ReminderName AS "ReminderName",
        StartTime    AS "StartTime",
        Period       AS "Period",
        Version      AS "Version"
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainId = @GrainId
      AND ReminderName = @ReminderName;
$q$),

-- Used when (int)BeginHash < (int)EndHash: the range does not wrap in signed order.
('ReadRangeRows1Key', $q$
    SELECT
        GrainId      AS "GrainId",
        ReminderName AS "ReminderName",
        StartTime    AS "StartTime",
        Period       AS "Period",
        Version      AS "Version"
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainHash > @BeginHash
      AND GrainHash <= @EndHash;
$q$),

-- Used otherwise: the range wraps around, i.e. (Begin, max] plus [min, End].
('ReadRangeRows2Key', $q$
    SELECT
        GrainId      AS "GrainId",
        ReminderName AS "ReminderName",
        StartTime    AS "StartTime",
        Period       AS "Period",
        Version      AS "Version"
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
$q$),

-- ETag-checked delete; the provider reads exactly one column as a boolean.
('DeleteReminderRowKey', $q$
    WITH deleted AS (
        DELETE FROM OrleansRemindersTable
        WHERE ServiceId = @ServiceId
          AND GrainId = @GrainId
          AND ReminderName = @ReminderName
          AND Version = @Version
        RETURNING 1
    )
    SELECT count(*) > 0 AS "Deleted" FROM deleted;
$q$),

('DeleteReminderRowsKey', $q$
    DELETE FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId;
$q$);

COMMIT;
