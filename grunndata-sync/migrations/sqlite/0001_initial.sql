-- grunndata mirror store, SQLite schema version 1.
-- `record` (the large JSON) is the last column of each table, so typed columns, digest and
-- times are read without touching it.
-- Keep in step with migrations/postgres/0001_initial.sql and src/store/schema.rs.
-- Conventions: STRICT tables; dates are TEXT 'YYYY-MM-DD'; instants are TEXT RFC 3339 in UTC
-- as sqlx writes them; booleans are INTEGER 0/1; `record` is the canonical JSON of the core
-- model and `digest` its SHA-256; secondary indexes are named ix_* (a fresh bulk load may drop
-- and rebuild them).

-- Marks the file as grunndata's ('GRND'); checked before every open.
PRAGMA application_id = 1196576324;

CREATE TABLE grunndata_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
INSERT INTO grunndata_meta (key, value) VALUES ('application', 'grunndata');

-- Sync state per register. `version` is bumped in the transaction of every batch that
-- changed data, so other processes can invalidate caches cheaply.
CREATE TABLE sync_state (
    register        TEXT PRIMARY KEY NOT NULL CHECK (register IN ('brreg', 'ar', 'hpr', 'preg')),
    cursor          TEXT,
    snapshot_id     TEXT,
    snapshot_at     TEXT,
    last_batch_at   TEXT,
    last_success_at TEXT,
    last_error_at   TEXT,
    last_error      TEXT,
    version         INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO sync_state (register) VALUES ('brreg'), ('ar'), ('hpr'), ('preg');

-- Brønnøysund Enhetsregisteret: main units and sub-units.
CREATE TABLE brreg (
    org_number                   TEXT PRIMARY KEY NOT NULL,
    unit                         TEXT NOT NULL,
    parent_org_number            TEXT,
    name                         TEXT,
    name_search                  TEXT NOT NULL,
    form_code                    TEXT,
    registered_date              TEXT,
    deleted_date                 TEXT,
    closed_date                  TEXT,
    bankrupt                     INTEGER NOT NULL,
    under_liquidation            INTEGER NOT NULL,
    under_compulsory_liquidation INTEGER NOT NULL,
    invalid_ids                  TEXT,
    digest                       BLOB NOT NULL,
    changed_at                   TEXT NOT NULL,
    fetched_at                   TEXT NOT NULL,
    record                       TEXT NOT NULL
) STRICT;
CREATE INDEX ix_brreg_parent ON brreg (parent_org_number);
CREATE INDEX ix_brreg_name ON brreg (name_search);
CREATE INDEX ix_brreg_fetched ON brreg (fetched_at);

CREATE TABLE brreg_history (
    id          INTEGER PRIMARY KEY,
    org_number  TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT NOT NULL,
    ended       TEXT NOT NULL CHECK (ended IN ('changed', 'deleted')),
    digest      BLOB NOT NULL,
    record      TEXT NOT NULL
) STRICT;
CREATE INDEX hx_brreg_history_key ON brreg_history (org_number, valid_to);

-- NHN Adresseregisteret: communication parties.
CREATE TABLE ar (
    her_id            INTEGER PRIMARY KEY NOT NULL,
    kind              TEXT NOT NULL,
    name              TEXT,
    display_name      TEXT,
    name_search       TEXT NOT NULL,
    org_number        TEXT,
    parent_her_id     INTEGER,
    parent_org_number TEXT,
    hpr_number        INTEGER,
    edi_address       TEXT,
    business_type     TEXT,
    service_type      TEXT,
    valid_from        TEXT,
    valid_to          TEXT,
    invalid_ids       TEXT,
    digest            BLOB NOT NULL,
    changed_at        TEXT NOT NULL,
    fetched_at        TEXT NOT NULL,
    record            TEXT NOT NULL
) STRICT;
CREATE INDEX ix_ar_org_number ON ar (org_number);
CREATE INDEX ix_ar_parent ON ar (parent_her_id);
CREATE INDEX ix_ar_parent_org_number ON ar (parent_org_number);
CREATE INDEX ix_ar_hpr_number ON ar (hpr_number);
CREATE INDEX ix_ar_edi_address ON ar (edi_address);
CREATE INDEX ix_ar_name ON ar (name_search);
CREATE INDEX ix_ar_fetched ON ar (fetched_at);

CREATE TABLE ar_history (
    id          INTEGER PRIMARY KEY,
    her_id      INTEGER NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT NOT NULL,
    ended       TEXT NOT NULL CHECK (ended IN ('changed', 'deleted')),
    digest      BLOB NOT NULL,
    record      TEXT NOT NULL
) STRICT;
CREATE INDEX hx_ar_history_key ON ar_history (her_id, valid_to);

-- Helsepersonellregisteret: health personnel.
CREATE TABLE hpr (
    hpr_number   INTEGER PRIMARY KEY NOT NULL,
    nin          TEXT,
    missing_nin  INTEGER NOT NULL,
    name         TEXT,
    name_search  TEXT NOT NULL,
    birth_date   TEXT,
    death_date   TEXT,
    replaced_by  INTEGER,
    last_updated TEXT,
    invalid_ids  TEXT,
    digest       BLOB NOT NULL,
    changed_at   TEXT NOT NULL,
    fetched_at   TEXT NOT NULL,
    record       TEXT NOT NULL
) STRICT;
CREATE INDEX ix_hpr_nin ON hpr (nin);
CREATE INDEX ix_hpr_replaced_by ON hpr (replaced_by);
CREATE INDEX ix_hpr_name ON hpr (name_search);
CREATE INDEX ix_hpr_fetched ON hpr (fetched_at);

-- One row per approval (item 0) and per speciality, requisition right, additional competence
-- and suspension inside it (items 1..); a suspension row names the item it suspends.
CREATE TABLE hpr_grant (
    hpr_number    INTEGER NOT NULL,
    approval      INTEGER NOT NULL,
    item          INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('approval', 'speciality', 'requisition_right', 'additional_competence', 'suspension')),
    code          TEXT,
    authorisation TEXT,
    valid_from    TEXT,
    valid_to      TEXT,
    ended         INTEGER NOT NULL,
    suspends      INTEGER,
    PRIMARY KEY (hpr_number, approval, item)
) STRICT, WITHOUT ROWID;
CREATE INDEX ix_hpr_grant_code ON hpr_grant (kind, code);

CREATE TABLE hpr_history (
    id          INTEGER PRIMARY KEY,
    hpr_number  INTEGER NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT NOT NULL,
    ended       TEXT NOT NULL CHECK (ended IN ('changed', 'deleted')),
    digest      BLOB NOT NULL,
    record      TEXT NOT NULL
) STRICT;
CREATE INDEX hx_hpr_history_key ON hpr_history (hpr_number, valid_to);

-- NHN Persontjenesten: tracked persons only.
CREATE TABLE preg (
    person_id          TEXT PRIMARY KEY NOT NULL,
    nin                TEXT,
    name               TEXT,
    name_search        TEXT NOT NULL,
    birth_date         TEXT,
    death_date         TEXT,
    status             TEXT,
    address_protection TEXT,
    invalid_ids        TEXT,
    digest             BLOB NOT NULL,
    changed_at         TEXT NOT NULL,
    fetched_at         TEXT NOT NULL,
    record             TEXT NOT NULL
) STRICT;
CREATE INDEX ix_preg_nin ON preg (nin);
CREATE INDEX ix_preg_name ON preg (name_search);
CREATE INDEX ix_preg_fetched ON preg (fetched_at);

-- Every valid NIN ever seen on a person (current and historic), so lookups by an old NIN and
-- untracking find the person. Removed only when the person is purged.
CREATE TABLE preg_identifier (
    person_id TEXT NOT NULL,
    nin       TEXT NOT NULL,
    PRIMARY KEY (nin, person_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX ix_preg_identifier_person ON preg_identifier (person_id);

CREATE TABLE preg_history (
    id          INTEGER PRIMARY KEY,
    person_id   TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT NOT NULL,
    ended       TEXT NOT NULL CHECK (ended IN ('changed', 'deleted')),
    digest      BLOB NOT NULL,
    record      TEXT NOT NULL
) STRICT;
CREATE INDEX hx_preg_history_key ON preg_history (person_id, valid_to);

-- The persons the mirror is asked to follow (data minimisation).
CREATE TABLE preg_tracked (
    nin      TEXT PRIMARY KEY NOT NULL,
    added_at TEXT NOT NULL,
    note     TEXT
) STRICT;

-- Append-only log of lookups of persons and personnel.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    purpose  TEXT NOT NULL,
    register TEXT,
    subject  TEXT NOT NULL,
    result   TEXT NOT NULL
) STRICT;
CREATE INDEX ix_audit_at ON audit_log (at);
CREATE INDEX ix_audit_subject ON audit_log (subject);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Records that failed to parse or validate during sync, kept with the raw payload.
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    register    TEXT NOT NULL CHECK (register IN ('brreg', 'ar', 'hpr', 'preg')),
    upstream_id TEXT,
    error       TEXT NOT NULL,
    payload     BLOB NOT NULL,
    received_at TEXT NOT NULL
) STRICT;
CREATE INDEX ix_quarantine_key ON quarantine (register, upstream_id);

-- Secondary indexes dropped for a fresh bulk load, with their definitions, until rebuilt.
CREATE TABLE bulk_dropped_index (
    name       TEXT PRIMARY KEY NOT NULL,
    register   TEXT NOT NULL,
    definition TEXT NOT NULL
) STRICT;
