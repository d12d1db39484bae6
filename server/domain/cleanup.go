package domain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
)

// CleanupJob asks for stored media a track no longer plays to be removed:
// one media set (with the upload it was made from) when MediaID is set, or
// everything of a deleted track when it is empty. It must not run before
// NotBefore: URLs handed out for a replaced set stay valid for a while.
type CleanupJob struct {
	TrackID   string    `json:"track_id"`
	MediaID   string    `json:"media_id,omitempty"`
	NotBefore time.Time `json:"not_before"`
}

// CleanupQueue durably schedules cleanup jobs; one worker of any replica
// runs each once it is due. Running a job twice is harmless.
type CleanupQueue interface {
	EnqueueCleanup(ctx context.Context, job CleanupJob) error
}

// Janitor decides when stored media becomes garbage and schedules its
// removal. A nil *Janitor schedules nothing (stores without media, tests).
type Janitor struct {
	queue CleanupQueue
	grace time.Duration
	log   *slog.Logger
	now   func() time.Time
}

// NewJanitor schedules cleanups on q. grace is how long a replaced media set
// is kept: at least as long as the streaming URLs already handed out for it
// stay valid, so no listener's play breaks off.
func NewJanitor(q CleanupQueue, grace time.Duration, log *slog.Logger, now func() time.Time) *Janitor {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Janitor{queue: q, grace: grace, log: log, now: now}
}

// replaced schedules removal of a media set another one replaced, once the
// URLs handed out for it have expired.
func (j *Janitor) replaced(ctx context.Context, trackID, mediaID string) error {
	if j == nil || mediaID == "" {
		return nil
	}
	return j.enqueue(ctx, CleanupJob{TrackID: trackID, MediaID: mediaID, NotBefore: j.now().Add(j.grace)})
}

// unused schedules removal, at once, of an upload that never played (its
// transcode failed, or a newer upload won): no URL to it was handed out.
// An empty mediaID stands for everything of a track that was deleted.
func (j *Janitor) unused(ctx context.Context, trackID, mediaID string) error {
	if j == nil {
		return nil
	}
	return j.enqueue(ctx, CleanupJob{TrackID: trackID, MediaID: mediaID, NotBefore: j.now()})
}

// tracksDeleted schedules removal of deleted tracks' media at once: a
// deleted track stops playing. The deletion has already happened and is
// not undone when scheduling fails; the failure is logged, and the files
// stay behind as unreachable garbage.
func (j *Janitor) tracksDeleted(ctx context.Context, ids ...string) {
	if j == nil {
		return
	}
	var errs []error
	for _, id := range ids {
		if err := j.unused(ctx, id, ""); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		j.log.Error("media of deleted tracks left in blob storage", "tracks", len(ids), "failed", len(errs), "err", errors.Join(errs...))
	}
}

func (j *Janitor) enqueue(ctx context.Context, job CleanupJob) error {
	if err := j.queue.EnqueueCleanup(ctx, job); err != nil {
		return fmt.Errorf("schedule media cleanup of track %s: %w", job.TrackID, err)
	}
	j.log.InfoContext(ctx, "media cleanup scheduled", "track_id", job.TrackID, "media_id", job.MediaID,
		"whole_track", job.MediaID == "", "not_before", job.NotBefore.UTC().Format(time.RFC3339Nano))
	return nil
}

// CleanupDue reports whether job may delete its files now, checked when it
// runs rather than when it was scheduled: a whole-track job only once the
// track is gone, a media set only while the track does not play it. That
// makes a job scheduled before a change that did not happen (a failed
// write) harmless.
func (m *Media) CleanupDue(ctx context.Context, job CleanupJob) (_ bool, err error) {
	defer derrors.Wrap(&err, "Media.CleanupDue(%q)", job.TrackID)
	t, err := m.stores.Catalog.GetTrack(ctx, job.TrackID)
	if IsKind(err, KindNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return job.MediaID != "" && t.MediaID != job.MediaID, nil
}
