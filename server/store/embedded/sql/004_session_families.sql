-- Version 4: refresh-token families. A Login starts a family (its first
-- session's token hash), every rotation carries it over, and a rotated
-- token's hash is remembered with its family until the refresh TTL is up,
-- so presenting it again revokes every live session of the family.
--
-- Sessions stored before this version keep family_id '' and are each treated
-- as their own family.
ALTER TABLE sessions ADD COLUMN family_id TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_family ON sessions(family_id);

-- Consumed tokens' hashes. Expired rows are pruned on every insert.
CREATE TABLE consumed_sessions (
	token_hash  TEXT PRIMARY KEY,
	family_id   TEXT NOT NULL,
	expire_time INTEGER NOT NULL
);
CREATE INDEX consumed_sessions_expire ON consumed_sessions(expire_time);
