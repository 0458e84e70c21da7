-- Audit retention (`[store] audit_retention`): the append-only trigger lets a DELETE through
-- only in a transaction that declares itself a retention prune. Rows are never updated.
CREATE OR REPLACE FUNCTION grunndata_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('grunndata.audit_retention', true) = 'prune' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
