package storetest

import (
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

var mediaTests = []test{
	{"Track/MediaOnReadPaths", testMediaOnReadPaths},
	{"Track/SetTrackMedia", testSetTrackMedia},
	{"Track/SetTrackMediaNotFound", testSetTrackMediaNotFound},
}

// readPaths returns the track as every read path returns it: GetTrack,
// ListTracks, ListTracksByAlbum, BatchGetTracks and a search hit (found by
// query, which must match it).
func readPaths(t *testing.T, f *fixture, tr *domain.Track, query string) map[string]*domain.Track {
	t.Helper()
	out := map[string]*domain.Track{"GetTrack": f.getTrack(tr.ID)}
	find := func(path string, ts []*domain.Track) {
		t.Helper()
		for _, x := range ts {
			if x.ID == tr.ID {
				out[path] = x
				return
			}
		}
		t.Fatalf("%s: track %s not returned", path, tr.ID)
	}
	find("ListTracks", mustList(t, func(p domain.Page) ([]*domain.Track, string, error) { return f.s.Catalog.ListTracks(f.ctx, p) }))
	find("ListTracksByAlbum", mustList(t, func(p domain.Page) ([]*domain.Track, string, error) {
		return f.s.Catalog.ListTracksByAlbum(f.ctx, tr.AlbumID, p)
	}))
	batch, err := f.s.Catalog.BatchGetTracks(f.ctx, []string{tr.ID})
	must(t, err)
	find("BatchGetTracks", batch)
	var hits []*domain.Track
	for _, h := range f.search(query, domain.ItemTrack) {
		hits = append(hits, h.Track)
	}
	find("Search", hits)
	return out
}

// testMediaOnReadPaths checks MediaID and Loudness (set by CreateTrack and
// UpdateTrack like any field) come back whole on every read path.
func testMediaOnReadPaths(t *testing.T, f *fixture) {
	ar := f.artist("Loud Band")
	al := f.album("Loud Album", ar)
	tr := f.newTrack("Brickwalled", al, ar)
	tr.MediaID = "upload-0001"
	tr.Loudness = domain.Loudness{IntegratedLUFS: -7.8125, TruePeakDBTP: 0.5, RangeLU: 3.25}
	must(t, f.s.Catalog.CreateTrack(f.ctx, tr))
	f.track("Quiet Neighbour", al, ar)
	for path, got := range readPaths(t, f, tr, "brickwalled") {
		wantEqual(t, path+" after CreateTrack", got, tr)
	}

	tr.MediaID, tr.Loudness, tr.UpdateTime = "upload-0002", domain.Loudness{IntegratedLUFS: -23, TruePeakDBTP: -2.75, RangeLU: 12.5}, f.now()
	must(t, f.s.Catalog.UpdateTrack(f.ctx, tr))
	for path, got := range readPaths(t, f, tr, "brickwalled") {
		wantEqual(t, path+" after UpdateTrack", got, tr)
	}

	tr.MediaID, tr.Loudness, tr.UpdateTime = "", domain.Loudness{}, f.now()
	must(t, f.s.Catalog.UpdateTrack(f.ctx, tr))
	wantEqual(t, "GetTrack after UpdateTrack clearing media", f.getTrack(tr.ID), tr)
}

// testSetTrackMedia checks SetTrackMedia writes Status, StatusReason,
// MediaID, Duration and Loudness, sets UpdateTime to the time of the call,
// and leaves every other field (PlayCount included) as it was; and that a
// later UpdateTrack replaces the media fields like the others.
func testSetTrackMedia(t *testing.T, f *fixture) {
	ar := f.artist("Transcoded")
	al := f.album("Pipeline", ar)
	tr := f.newTrack("Fresh Upload", al, ar)
	tr.Status, tr.StatusReason, tr.MediaID, tr.Loudness, tr.Duration = domain.TrackProcessing, "", "", domain.Loudness{}, 0
	tr.PlayCount = 41
	must(t, f.s.Catalog.CreateTrack(f.ctx, tr))
	other := f.track("Bystander", al, ar)

	m := domain.TrackMedia{
		Status:   domain.TrackReady,
		MediaID:  "upload-7",
		Duration: 3*time.Minute + 25*time.Second + 250*time.Millisecond,
		Loudness: domain.Loudness{IntegratedLUFS: -9.5, TruePeakDBTP: -0.25, RangeLU: 4.75},
	}
	before := time.Now().Truncate(time.Millisecond)
	must(t, f.s.Catalog.SetTrackMedia(f.ctx, tr.ID, m))
	after := time.Now()

	want := *tr
	want.Status, want.StatusReason, want.MediaID, want.Duration, want.Loudness = m.Status, m.StatusReason, m.MediaID, m.Duration, m.Loudness
	got := f.getTrack(tr.ID)
	if got.UpdateTime.Before(before) || got.UpdateTime.After(after) {
		t.Fatalf("UpdateTime after SetTrackMedia = %v, want the time of the call (%v to %v)", got.UpdateTime, before, after)
	}
	want.UpdateTime = got.UpdateTime
	for path, got := range readPaths(t, f, tr, "fresh upload") {
		wantEqual(t, path+" after SetTrackMedia", got, &want)
	}
	wantEqual(t, "another track of the album", f.getTrack(other.ID), other)

	// A failed transcode: the status changes, the media that played stays
	// only if the caller passes it again (SetTrackMedia stores all of m).
	m2 := domain.TrackMedia{Status: domain.TrackFailed, StatusReason: "unsupported codec", MediaID: m.MediaID,
		Duration: m.Duration, Loudness: m.Loudness}
	must(t, f.s.Catalog.SetTrackMedia(f.ctx, tr.ID, m2))
	want.Status, want.StatusReason = m2.Status, m2.StatusReason
	got = f.getTrack(tr.ID)
	want.UpdateTime = got.UpdateTime
	wantEqual(t, "after a second SetTrackMedia", got, &want)

	// UpdateTrack with what a caller read keeps the media; with other media
	// it stores those (it replaces the track but for PlayCount).
	edited := *got
	edited.Title, edited.UpdateTime = "Fresh Upload (Remaster)", f.now()
	must(t, f.s.Catalog.UpdateTrack(f.ctx, &edited))
	wantEqual(t, "after UpdateTrack of a read track", f.getTrack(tr.ID), &edited)
	edited.MediaID, edited.Loudness, edited.Duration, edited.UpdateTime = "upload-8", domain.Loudness{IntegratedLUFS: -16}, time.Minute, f.now()
	edited.PlayCount = 1 // the store's: ignored
	must(t, f.s.Catalog.UpdateTrack(f.ctx, &edited))
	edited.PlayCount = tr.PlayCount
	wantEqual(t, "after UpdateTrack with other media", f.getTrack(tr.ID), &edited)
	wantIDs(t, "search by the new title", hitIDs(f.search("remaster")), []string{tr.ID})
}

func testSetTrackMediaNotFound(t *testing.T, f *fixture) {
	ar := f.artist("Real")
	f.track("Real", f.album("Real", ar), ar)
	ghost := f.id()
	wantKind(t, f.s.Catalog.SetTrackMedia(f.ctx, ghost, domain.TrackMedia{Status: domain.TrackReady, MediaID: "x"}), domain.KindNotFound)
	_, err := f.s.Catalog.GetTrack(f.ctx, ghost)
	wantKind(t, err, domain.KindNotFound)

	// Nor for a deleted track: no partial track comes back.
	gone := f.track("Deleted", nil, ar)
	must(t, f.s.Catalog.DeleteTrack(f.ctx, gone.ID))
	wantKind(t, f.s.Catalog.SetTrackMedia(f.ctx, gone.ID, domain.TrackMedia{Status: domain.TrackReady}), domain.KindNotFound)
	_, err = f.s.Catalog.GetTrack(f.ctx, gone.ID)
	wantKind(t, err, domain.KindNotFound)
}
