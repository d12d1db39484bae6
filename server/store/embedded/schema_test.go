package embedded

import (
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// TestUpgradeFromV1 opens a database made by the first schema version, with
// a track in it: Open migrates it, the track reads back with no media, and
// the new tables work.
func TestUpgradeFromV1(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "backbeat.db")+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, stmt := range []string{
		migrations[0],
		"PRAGMA user_version = 1",
		`INSERT INTO users (id, username, username_key, email, email_key, display_name, roles, password_hash, create_time, update_time)
			VALUES ('u1', 'old', 'old', 'old@example.com', 'old@example.com', 'Old', '[]', '', 1, 1)`,
		`INSERT INTO artists (id, name, bio, genres, image_url, owner_ids, create_time, update_time)
			VALUES ('ar1', 'Old Artist', '', '[]', '', '[]', 1, 1)`,
		`INSERT INTO tracks (id, title, artist_ids, album_id, disc_number, track_number, genres, duration, explicit,
			release_date, isrc, artwork_url, status, status_reason, play_count, create_time, update_time)
			VALUES ('t1', 'Old Song', '["ar1"]', NULL, 1, 1, '[]', 1000000000, 0, '', '', '', 'ready', '', 5, 1, 1)`,
		`INSERT INTO track_artists (artist_id, track_id, ord) VALUES ('ar1', 't1', 0)`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	db.Close()

	s, err := Open(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open of a version 1 database: %v", err)
	}
	defer s.Close()
	var version int
	if err := s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != len(migrations) {
		t.Fatalf("schema version after Open = %d, %v; want %d", version, err, len(migrations))
	}
	st := s.Stores()
	tr, err := st.Catalog.GetTrack(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Title != "Old Song" || tr.PlayCount != 5 || tr.MediaID != "" || tr.Loudness != (domain.Loudness{}) {
		t.Fatalf("track after upgrade: %+v", tr)
	}
	m := domain.TrackMedia{Status: domain.TrackReady, MediaID: "m1", Duration: time.Minute, Loudness: domain.Loudness{IntegratedLUFS: -14}}
	if err := st.Catalog.SetTrackMedia(ctx, "t1", m); err != nil {
		t.Fatal(err)
	}
	p := &domain.Play{UserID: "u1", PlaybackID: "pb1", TrackID: "t1", PlayTime: now}
	if err := st.Plays.RecordPlay(ctx, p); err != nil {
		t.Fatalf("RecordPlay after upgrade: %v", err)
	}
	if err := st.Plays.CountPlay(ctx, "u1", "pb1", "t1"); err != nil {
		t.Fatalf("CountPlay after upgrade: %v", err)
	}
	tr, err = st.Catalog.GetTrack(ctx, "t1")
	if err != nil || tr.PlayCount != 6 || tr.MediaID != "m1" || tr.Duration != time.Minute || tr.Loudness.IntegratedLUFS != -14 {
		t.Fatalf("track after media and a play: %+v, %v", tr, err)
	}
	hits, _, err := st.Catalog.Search(ctx, "old song", nil, domain.Page{Size: 10})
	if err != nil || len(hits) != 1 || hits[0].Track == nil || hits[0].Track.PlayCount != 6 {
		t.Fatalf("search after upgrade: %+v, %v", hits, err)
	}
}
