-- Writer fencing for active/standby sync nodes (docs/deploy.md). A node that takes the writer
-- lock (a session advisory lock) bumps the epoch; every write transaction of a lock holder
-- reads it FOR SHARE and refuses to go on when it moved. A node whose lock session died
-- unnoticed (a network cut) can then never write beside its successor: the successor's bump
-- waits for the old node's open transaction, and the old node's next one sees the new epoch.
CREATE TABLE writer_fence (
    id    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    epoch BIGINT NOT NULL DEFAULT 0
);
INSERT INTO writer_fence DEFAULT VALUES;
