package domain_test

import (
	"context"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// failingJobs refuses every transcode job, as a broker that is down.
type failingJobs struct{}

func (failingJobs) EnqueueTranscode(context.Context, domain.TranscodeJob) error {
	return domain.Unavailable("broker down")
}

func (w *world) status(t *testing.T, trackID string) (domain.TrackStatus, string) {
	t.Helper()
	tr, err := w.stores.Catalog.GetTrack(w.ctx, trackID)
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status, tr.MediaID
}

// TestReplacedUploadNeverLeavesTheTrackProcessing re-sends an upload that a
// newer one replaced, and one the track already plays: both refused before
// and after the bytes, the track stays READY on the newer media, and the
// replaced upload's file is scheduled for removal.
func TestReplacedUploadNeverLeavesTheTrackProcessing(t *testing.T) {
	w := newWorld(t)
	tr := w.newTrack(t, w.newArtist(t).ID, "")
	first := w.ready(t, tr.ID)
	second := w.ready(t, tr.ID)
	w.q.take()
	for _, up := range []string{first, second} {
		job := domain.TranscodeJob{TrackID: tr.ID, UploadID: up}
		if err := w.media.AcceptUpload(w.ctx, job); !domain.IsKind(err, domain.KindFailedPrecondition) {
			t.Fatalf("AcceptUpload of %s: %v, want failed precondition", up, err)
		}
		if err := w.media.UploadReceived(w.ctx, job); !domain.IsKind(err, domain.KindFailedPrecondition) {
			t.Fatalf("UploadReceived of %s: %v, want failed precondition", up, err)
		}
		if st, media := w.status(t, tr.ID); st != domain.TrackReady || media != second {
			t.Fatalf("after re-sending %s: track %v playing %s, want READY playing %s", up, st, media, second)
		}
	}
	jobs := w.q.take()
	if len(jobs) != 1 || jobs[0].MediaID != first {
		t.Fatalf("cleanup scheduled %+v, want the replaced upload %s removed", jobs, first)
	}
	// A new upload is accepted.
	time.Sleep(2 * time.Millisecond)
	if err := w.media.AcceptUpload(w.ctx, domain.TranscodeJob{TrackID: tr.ID, UploadID: domain.NewID()}); err != nil {
		t.Fatalf("AcceptUpload of a new upload: %v", err)
	}
	if err := w.media.AcceptUpload(w.ctx, domain.TranscodeJob{TrackID: domain.NewID(), UploadID: domain.NewID()}); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("AcceptUpload for a missing track: %v", err)
	}
}

// TestUnqueuedUploadLeavesTheTrackAsItWas: when the transcode job cannot be
// queued, the track's status goes back to what it was.
func TestUnqueuedUploadLeavesTheTrackAsItWas(t *testing.T) {
	w := newWorld(t)
	tr := w.newTrack(t, w.newArtist(t).ID, "")
	playing := w.ready(t, tr.ID)
	janitor := domain.NewJanitor(w.q, grace, nil, func() time.Time { return w.now })
	media := domain.NewMedia(w.stores, w.catalog, failingJobs{}, janitor, nil, 1<<20)
	time.Sleep(2 * time.Millisecond)
	err := media.UploadReceived(w.ctx, domain.TranscodeJob{TrackID: tr.ID, UploadID: domain.NewID()})
	if !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("UploadReceived with the queue down: %v", err)
	}
	if st, media := w.status(t, tr.ID); st != domain.TrackReady || media != playing {
		t.Fatalf("track %v playing %s after an unqueued upload, want READY playing %s", st, media, playing)
	}
}
