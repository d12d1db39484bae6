-- Version 1: users, sessions, follows, the catalog and playlists.
--
-- Conventions of the schema:
--   - times are Unix nanoseconds (INTEGER), durations nanoseconds;
--   - lists that are only ever read whole (genres, roles, credits) are JSON
--     arrays on the row, so a hot read is one row; the relation tables beside
--     them exist for the lookups in the other direction (albums of an artist,
--     tracks crediting an artist) and are written in the same transaction;
--   - counts the store keeps (album and playlist track counts, follower
--     counts) are maintained by triggers, so every path that adds or removes
--     rows, including ON DELETE CASCADE, keeps them right;
--   - playlist entries have an integer pos, increasing in playlist order but
--     not necessarily dense: deletes leave gaps, inserts shift what follows.

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	username      TEXT NOT NULL,
	username_key  TEXT UNIQUE,   -- lowercased username, NULL when empty
	email         TEXT NOT NULL,
	email_key     TEXT UNIQUE,   -- lowercased email, NULL when empty
	display_name  TEXT NOT NULL,
	roles         TEXT NOT NULL, -- JSON array
	password_hash TEXT NOT NULL,
	ext_issuer    TEXT,          -- NULL for local users
	ext_subject   TEXT,
	create_time   INTEGER NOT NULL,
	update_time   INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_external ON users(ext_issuer, ext_subject) WHERE ext_issuer IS NOT NULL;

CREATE TABLE sessions (
	token_hash  TEXT PRIMARY KEY,
	user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	create_time INTEGER NOT NULL,
	expire_time INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE artists (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	bio         TEXT NOT NULL,
	genres      TEXT NOT NULL, -- JSON array
	image_url   TEXT NOT NULL,
	owner_ids   TEXT NOT NULL, -- JSON array, in the caller's order
	create_time INTEGER NOT NULL,
	update_time INTEGER NOT NULL
);

-- Owners are not foreign keys: deleting a user leaves its artists to the
-- domain (see UserStore.DeleteUser).
CREATE TABLE artist_owners (
	user_id   TEXT NOT NULL,
	artist_id TEXT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, artist_id)
) WITHOUT ROWID;
CREATE INDEX artist_owners_artist ON artist_owners(artist_id);

-- The rowid orders follows: a new row gets a rowid above every existing one.
CREATE TABLE artist_follows (
	user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	artist_id TEXT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
	UNIQUE (user_id, artist_id)
);
CREATE INDEX artist_follows_user ON artist_follows(user_id);
CREATE INDEX artist_follows_artist ON artist_follows(artist_id);

CREATE TABLE albums (
	id           TEXT PRIMARY KEY,
	title        TEXT NOT NULL,
	artist_ids   TEXT NOT NULL, -- JSON array, primary first
	type         TEXT NOT NULL,
	genres       TEXT NOT NULL,
	release_date TEXT NOT NULL,
	artwork_url  TEXT NOT NULL,
	track_count  INTEGER NOT NULL DEFAULT 0,
	create_time  INTEGER NOT NULL,
	update_time  INTEGER NOT NULL
);

CREATE TABLE album_artists (
	artist_id TEXT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
	album_id  TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
	ord       INTEGER NOT NULL, -- 0 for the primary artist
	PRIMARY KEY (artist_id, album_id)
) WITHOUT ROWID;
CREATE INDEX album_artists_album ON album_artists(album_id);

CREATE TABLE tracks (
	id            TEXT PRIMARY KEY,
	title         TEXT NOT NULL,
	artist_ids    TEXT NOT NULL, -- JSON array, primary first
	album_id      TEXT REFERENCES albums(id) ON DELETE CASCADE, -- NULL without album
	disc_number   INTEGER NOT NULL,
	track_number  INTEGER NOT NULL,
	genres        TEXT NOT NULL,
	duration      INTEGER NOT NULL,
	explicit      INTEGER NOT NULL,
	release_date  TEXT NOT NULL,
	isrc          TEXT NOT NULL,
	artwork_url   TEXT NOT NULL,
	status        TEXT NOT NULL,
	status_reason TEXT NOT NULL,
	play_count    INTEGER NOT NULL DEFAULT 0,
	create_time   INTEGER NOT NULL,
	update_time   INTEGER NOT NULL
);
CREATE INDEX tracks_album ON tracks(album_id, disc_number, track_number, id);

CREATE TABLE track_artists (
	artist_id TEXT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
	track_id  TEXT NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
	ord       INTEGER NOT NULL, -- 0 for the primary artist
	PRIMARY KEY (artist_id, track_id)
) WITHOUT ROWID;
CREATE INDEX track_artists_track ON track_artists(track_id);

CREATE TRIGGER tracks_count_insert AFTER INSERT ON tracks WHEN NEW.album_id IS NOT NULL
BEGIN
	UPDATE albums SET track_count = track_count + 1 WHERE id = NEW.album_id;
END;
CREATE TRIGGER tracks_count_delete AFTER DELETE ON tracks WHEN OLD.album_id IS NOT NULL
BEGIN
	UPDATE albums SET track_count = track_count - 1 WHERE id = OLD.album_id;
END;
CREATE TRIGGER tracks_count_move AFTER UPDATE OF album_id ON tracks
WHEN OLD.album_id IS NOT NEW.album_id
BEGIN
	UPDATE albums SET track_count = track_count - 1 WHERE id = OLD.album_id;
	UPDATE albums SET track_count = track_count + 1 WHERE id = NEW.album_id;
END;

CREATE TABLE playlists (
	id             TEXT PRIMARY KEY,
	owner_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name           TEXT NOT NULL,
	description    TEXT NOT NULL,
	public         INTEGER NOT NULL,
	collaborative  INTEGER NOT NULL,
	track_count    INTEGER NOT NULL DEFAULT 0,
	follower_count INTEGER NOT NULL DEFAULT 0,
	create_time    INTEGER NOT NULL,
	update_time    INTEGER NOT NULL
);
CREATE INDEX playlists_owner ON playlists(owner_id, id);

-- The rowid keeps collaborators in the order they were added.
CREATE TABLE playlist_collaborators (
	playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
	user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	UNIQUE (playlist_id, user_id)
);
CREATE INDEX playlist_collaborators_user ON playlist_collaborators(user_id);

-- added_by is not a foreign key: an entry outlives the collaborator who
-- added it.
CREATE TABLE playlist_entries (
	id          TEXT PRIMARY KEY,
	playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
	track_id    TEXT NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
	added_by    TEXT NOT NULL,
	add_time    INTEGER NOT NULL,
	pos         INTEGER NOT NULL
);
CREATE INDEX playlist_entries_order ON playlist_entries(playlist_id, pos);
CREATE INDEX playlist_entries_track ON playlist_entries(track_id);

CREATE TRIGGER entries_count_insert AFTER INSERT ON playlist_entries
BEGIN
	UPDATE playlists SET track_count = track_count + 1 WHERE id = NEW.playlist_id;
END;
CREATE TRIGGER entries_count_delete AFTER DELETE ON playlist_entries
BEGIN
	UPDATE playlists SET track_count = track_count - 1 WHERE id = OLD.playlist_id;
END;

CREATE TABLE playlist_follows (
	user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, playlist_id)
) WITHOUT ROWID;
CREATE INDEX playlist_follows_playlist ON playlist_follows(playlist_id);

CREATE TRIGGER follows_count_insert AFTER INSERT ON playlist_follows
BEGIN
	UPDATE playlists SET follower_count = follower_count + 1 WHERE id = NEW.playlist_id;
END;
CREATE TRIGGER follows_count_delete AFTER DELETE ON playlist_follows
BEGIN
	UPDATE playlists SET follower_count = follower_count - 1 WHERE id = OLD.playlist_id;
END;
