-- grunndata mirror store, PostgreSQL schema version 1.
-- `record` (the large JSON) is the last column of each table, so typed columns, digest and
-- times are read without touching it.
-- Keep in step with migrations/sqlite/0001_initial.sql and src/store/schema.rs.
-- Everything is created in the connection's current schema (set search_path to isolate).
-- Text that is ordered or pattern-matched uses COLLATE "C" so ordering and LIKE behave exactly
-- as on SQLite (bytewise) and prefix patterns can use the B-tree indexes. `record` is the
-- canonical JSON of the core model as jsonb; `digest` is the SHA-256 of the canonical text
-- (computed before jsonb reorders keys). Secondary indexes are named ix_* (a fresh bulk load
-- may drop and rebuild them).

CREATE TABLE grunndata_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO grunndata_meta (key, value) VALUES ('application', 'grunndata');

CREATE TABLE sync_state (
    register        TEXT PRIMARY KEY CHECK (register IN ('brreg', 'ar', 'hpr', 'preg')),
    cursor          TEXT,
    snapshot_id     TEXT,
    snapshot_at     TIMESTAMPTZ,
    last_batch_at   TIMESTAMPTZ,
    last_success_at TIMESTAMPTZ,
    last_error_at   TIMESTAMPTZ,
    last_error      TEXT,
    version         BIGINT NOT NULL DEFAULT 0
);
INSERT INTO sync_state (register) VALUES ('brreg'), ('ar'), ('hpr'), ('preg');

CREATE TABLE brreg (
    org_number                   TEXT COLLATE "C" PRIMARY KEY,
    unit                         TEXT NOT NULL,
    parent_org_number            TEXT COLLATE "C",
    name                         TEXT,
    name_search                  TEXT COLLATE "C" NOT NULL,
    form_code                    TEXT,
    registered_date              DATE,
    deleted_date                 DATE,
    closed_date                  DATE,
    bankrupt                     BOOLEAN NOT NULL,
    under_liquidation            BOOLEAN NOT NULL,
    under_compulsory_liquidation BOOLEAN NOT NULL,
    invalid_ids                  TEXT,
    digest                       BYTEA NOT NULL,
    changed_at                   TIMESTAMPTZ NOT NULL,
    fetched_at                   TIMESTAMPTZ NOT NULL,
    record                       JSONB NOT NULL
);
CREATE INDEX ix_brreg_parent ON brreg (parent_org_number);
CREATE INDEX ix_brreg_name ON brreg (name_search);
CREATE INDEX ix_brreg_fetched ON brreg (fetched_at);

CREATE TABLE brreg_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_number  TEXT COLLATE "C" NOT NULL,
    valid_from  TIMESTAMPTZ NOT NULL,
    valid_to    TIMESTAMPTZ NOT NULL,
    ended       TEXT NOT NULL CHECK (ended IN ('changed', 'deleted')),
    digest      BYTEA NOT NULL,
    record      JSONB NOT NULL
);
CREATE INDEX hx_brreg_history_key ON brreg_history (org_number, valid_to);

CREATE TABLE ar (
    her_id            BIGINT PRIMARY KEY,
    kind              TEXT NOT NULL,
    name              TEXT,
    display_name      TEXT,
    name_search       TEXT COLLATE "C" NOT NULL,
    org_number        TEXT COLLATE "C",
    parent_her_id     BIGINT,
    parent_org_number TEXT COLLATE "C",
    hpr_number        BIGINT,
    edi_address       TEXT COLLATE "C",
    business_type     TEXT,
    service_type      TEXT,
    valid_from        TIMESTAMPTZ,
    valid_to          TIMESTAMPTZ,
    invalid_ids       TEXT,
    digest            BYTEA NOT NULL,
    changed_at        TIMESTAMPTZ NOT NULL,
    fetched_at        TIMESTAMPTZ NOT NULL,
    record            JSONB NOT NULL
);
CREATE INDEX ix_ar_org_number ON ar (org_number);
CREATE INDEX ix_ar_parent ON ar (parent_her_id);
CREATE INDEX ix_ar_parent_org_number ON ar (parent_org_number);
CREATE INDEX ix_ar_hpr_number ON ar (hpr_number);
CREATE INDEX ix_ar_edi_address ON ar (edi_address);
CREATE INDEX ix_ar_name ON ar (name_search);
CREATE INDEX ix_ar_fetched ON ar (fetched_at);

CREATE TABLE ar_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    her_id      BIGINT NOT NULL,
    valid_from  TIMESTAMPTZ NOT NULL,
    valid_to    TIMESTAMPTZ NOT NULL,
    ended       TEXT NOT NULL CHECK (ended IN ('changed', 'deleted')),
    digest      BYTEA NOT NULL,
    record      JSONB NOT NULL
);
CREATE INDEX hx_ar_history_key ON ar_history (her_id, valid_to);

CREATE TABLE hpr (
    hpr_number   BIGINT PRIMARY KEY,
    nin          TEXT COLLATE "C",
    missing_nin  BOOLEAN NOT NULL,
    name         TEXT,
    name_search  TEXT COLLATE "C" NOT NULL,
    birth_date   DATE,
    death_date   DATE,
    replaced_by  BIGINT,
    last_updated TIMESTAMPTZ,
    invalid_ids  TEXT,
    digest       BYTEA NOT NULL,
    changed_at   TIMESTAMPTZ NOT NULL,
    fetched_at   TIMESTAMPTZ NOT NULL,
    record       JSONB NOT NULL
);
CREATE INDEX ix_hpr_nin ON hpr (nin);
CREATE INDEX ix_hpr_replaced_by ON hpr (replaced_by);
CREATE INDEX ix_hpr_name ON hpr (name_search);
CREATE INDEX ix_hpr_fetched ON hpr (fetched_at);

CREATE TABLE hpr_grant (
    hpr_number    BIGINT NOT NULL,
    approval      BIGINT NOT NULL,
    item          BIGINT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('approval', 'speciality', 'requisition_right', 'additional_competence', 'suspension')),
    code          TEXT COLLATE "C",
    authorisation TEXT,
    valid_from    DATE,
    valid_to      DATE,
    ended         BOOLEAN NOT NULL,
    suspends      BIGINT,
    PRIMARY KEY (hpr_number, approval, item)
);
CREATE INDEX ix_hpr_grant_code ON hpr_grant (kind, code);

CREATE TABLE hpr_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hpr_number  BIGINT NOT NULL,
    valid_from  TIMESTAMPTZ NOT NULL,
    valid_to    TIMESTAMPTZ NOT NULL,
    ended       TEXT NOT NULL CHECK (ended IN ('changed', 'deleted')),
    digest      BYTEA NOT NULL,
    record      JSONB NOT NULL
);
CREATE INDEX hx_hpr_history_key ON hpr_history (hpr_number, valid_to);

CREATE TABLE preg (
    person_id          TEXT COLLATE "C" PRIMARY KEY,
    nin                TEXT COLLATE "C",
    name               TEXT,
    name_search        TEXT COLLATE "C" NOT NULL,
    birth_date         DATE,
    death_date         DATE,
    status             TEXT,
    address_protection TEXT,
    invalid_ids        TEXT,
    digest             BYTEA NOT NULL,
    changed_at         TIMESTAMPTZ NOT NULL,
    fetched_at         TIMESTAMPTZ NOT NULL,
    record             JSONB NOT NULL
);
CREATE INDEX ix_preg_nin ON preg (nin);
CREATE INDEX ix_preg_name ON preg (name_search);
CREATE INDEX ix_preg_fetched ON preg (fetched_at);

CREATE TABLE preg_identifier (
    person_id TEXT COLLATE "C" NOT NULL,
    nin       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (nin, person_id)
);
CREATE INDEX ix_preg_identifier_person ON preg_identifier (person_id);

CREATE TABLE preg_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id   TEXT COLLATE "C" NOT NULL,
    valid_from  TIMESTAMPTZ NOT NULL,
    valid_to    TIMESTAMPTZ NOT NULL,
    ended       TEXT NOT NULL CHECK (ended IN ('changed', 'deleted')),
    digest      BYTEA NOT NULL,
    record      JSONB NOT NULL
);
CREATE INDEX hx_preg_history_key ON preg_history (person_id, valid_to);

CREATE TABLE preg_tracked (
    nin      TEXT COLLATE "C" PRIMARY KEY,
    added_at TIMESTAMPTZ NOT NULL,
    note     TEXT
);

CREATE TABLE audit_log (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       TIMESTAMPTZ NOT NULL,
    actor    TEXT NOT NULL,
    purpose  TEXT NOT NULL,
    register TEXT,
    subject  TEXT COLLATE "C" NOT NULL,
    result   TEXT NOT NULL
);
CREATE INDEX ix_audit_at ON audit_log (at);
CREATE INDEX ix_audit_subject ON audit_log (subject);

CREATE FUNCTION grunndata_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION grunndata_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION grunndata_audit_append_only();

CREATE TABLE quarantine (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    register    TEXT NOT NULL CHECK (register IN ('brreg', 'ar', 'hpr', 'preg')),
    upstream_id TEXT COLLATE "C",
    error       TEXT NOT NULL,
    payload     BYTEA NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_quarantine_key ON quarantine (register, upstream_id);

CREATE TABLE bulk_dropped_index (
    name       TEXT PRIMARY KEY,
    register   TEXT NOT NULL,
    definition TEXT NOT NULL
);
