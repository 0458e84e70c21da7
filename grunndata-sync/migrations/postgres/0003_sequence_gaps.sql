-- Sequence numbers a register's feed has skipped, counted per register (`grunndata status`).
-- A gap is applied, not read as an expired cursor: docs/upstream-decisions.md.
ALTER TABLE sync_state ADD COLUMN sequence_gaps BIGINT NOT NULL DEFAULT 0;
