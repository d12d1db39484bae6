-- Version 2: adds what transcoding writes on a track (TrackMedia: the media
-- set that plays and its loudness) and the listening history.
--
-- A play belongs to its user (deleted with it by cascade) but not to its
-- track: history outlives a track removed from the catalog, and a play of a
-- deleted track can still be counted (it then counts towards nothing).
-- plays_user_time serves ListPlays, newest first, ties broken by playback id.

ALTER TABLE tracks ADD COLUMN media_id TEXT NOT NULL DEFAULT '';
ALTER TABLE tracks ADD COLUMN loudness_lufs REAL NOT NULL DEFAULT 0;
ALTER TABLE tracks ADD COLUMN true_peak_dbtp REAL NOT NULL DEFAULT 0;
ALTER TABLE tracks ADD COLUMN loudness_range_lu REAL NOT NULL DEFAULT 0;

CREATE TABLE plays (
	user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	playback_id TEXT NOT NULL,
	track_id    TEXT NOT NULL,
	device_id   TEXT NOT NULL,
	play_time   INTEGER NOT NULL,
	counted     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, playback_id)
) WITHOUT ROWID;
CREATE INDEX plays_user_time ON plays(user_id, play_time DESC, playback_id DESC);
