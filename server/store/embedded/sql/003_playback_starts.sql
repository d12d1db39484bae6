-- Version 3: the playbacks StartPlayback handed out, so that a report is
-- believed only for a playback its user started, of the track it names, and
-- no further than the time since it started allows.
--
-- Rows go with their user (cascade) and are pruned per user: starting a
-- playback deletes that user's expired ones (playback_starts_expiry), so
-- the table holds each user's starts of the report window, no more.

CREATE TABLE playback_starts (
	user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	playback_id TEXT NOT NULL,
	track_id    TEXT NOT NULL,
	position    INTEGER NOT NULL,
	start_time  INTEGER NOT NULL,
	expire_time INTEGER NOT NULL,
	PRIMARY KEY (user_id, playback_id)
) WITHOUT ROWID;
CREATE INDEX playback_starts_expiry ON playback_starts(user_id, expire_time);
