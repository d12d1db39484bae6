package domain

import (
	"context"
	"time"
)

// Loudness is a track's EBU R128 measurement, kept so players can normalize
// volume without analysing audio themselves.
type Loudness struct {
	IntegratedLUFS float64
	TruePeakDBTP   float64
	RangeLU        float64
}

// TrackMedia is the part of a track the transcoding pipeline owns. It is
// written on its own (CatalogStore.SetTrackMedia) so a transcode finishing
// never overwrites metadata an artist edited meanwhile.
type TrackMedia struct {
	Status       TrackStatus
	StatusReason string
	// MediaID names the transcoded media set that plays (the id of the upload
	// it came from); empty until the first transcode succeeds. A new upload
	// keeps the old set playing until its own transcode is ready.
	MediaID  string
	Duration time.Duration
	Loudness Loudness
}

// Play is one listening session of a track by a user, identified by the
// playback id StartPlayback handed out.
type Play struct {
	UserID     string
	PlaybackID string
	TrackID    string
	DeviceID   string
	// PlayTime is when the play started.
	PlayTime time.Time
	// Counted is set once the play has counted towards the track's play count.
	Counted bool
}

// PlayStore keeps listening history. Plays are per user: DeleteUser removes
// them.
type PlayStore interface {
	// RecordPlay stores p, keyed by the user's PlaybackID. Recording a
	// playback id again (a later event of the play, a retried report) keeps
	// one play; which of the recorded events' PlayTime and DeviceID it shows
	// is the store's choice (the earliest, where it can tell).
	RecordPlay(ctx context.Context, p *Play) error
	// CountPlay marks the user's recorded play of trackID counted and adds
	// it to the track's PlayCount, once however often it is called, from
	// however many replicas or data centres. The count may show later: a
	// store may add counted plays to tracks in the background, within a
	// bounded lag it documents. Counting a play RecordPlay never stored is
	// the caller's mistake, which a store need not detect.
	CountPlay(ctx context.Context, userID, playbackID, trackID string) error
	// ListPlays lists the user's plays, newest first: by PlayTime, or by
	// playback id, which begins with the time its playback started (the
	// Cassandra store); the two orders differ only for plays reported long
	// after they started.
	ListPlays(ctx context.Context, userID string, p Page) ([]*Play, string, error)
	// CountedPlays returns how many of the user's plays are counted among
	// those whose playback id is in [fromID, toID). Playback ids begin with
	// the time their playback started (NewID), so this counts the plays
	// counted among those started in a span of time.
	CountedPlays(ctx context.Context, userID, fromID, toID string) (int, error)

	// CreatePlayback stores a playback StartPlayback handed out, so a report
	// can be checked against it. It is kept at least until its ExpireTime and
	// may be dropped after; DeleteUser removes the user's.
	CreatePlayback(ctx context.Context, sp *StartedPlayback) error
	// GetPlayback returns the user's started playback with that id, and
	// KindNotFound when the user has none (another user's is not found).
	GetPlayback(ctx context.Context, userID, playbackID string) (*StartedPlayback, error)
}

// StartedPlayback is a playback id as StartPlayback handed it out: to whom,
// for which track, from where and when. Reports name it, and are believed
// only as far as it allows.
type StartedPlayback struct {
	UserID     string
	PlaybackID string
	TrackID    string
	// Position is where in the track the playback started.
	Position   time.Duration
	StartTime  time.Time
	ExpireTime time.Time
}

// TranscodeJob asks for one upload of a track to be transcoded. UploadID is
// unique per upload, so it doubles as the job's deduplication key.
type TranscodeJob struct {
	TrackID  string `json:"track_id"`
	UploadID string `json:"upload_id"`
	// UserID uploaded the file.
	UserID string `json:"user_id"`
}

// JobQueue hands transcode jobs to whichever worker (of any replica) takes
// them first. Enqueueing one UploadID twice yields one job.
type JobQueue interface {
	EnqueueTranscode(ctx context.Context, job TranscodeJob) error
}

type PlayEventType string

const (
	PlayEventStart    PlayEventType = "start"
	PlayEventProgress PlayEventType = "progress"
	PlayEventEnd      PlayEventType = "end"
	PlayEventSkip     PlayEventType = "skip"
)

// PlayEvent is one playback event as a client reported it.
type PlayEvent struct {
	UserID     string        `json:"user_id"`
	PlaybackID string        `json:"playback_id"`
	TrackID    string        `json:"track_id"`
	Type       PlayEventType `json:"type"`
	Position   time.Duration `json:"position_ns"`
	DeviceID   string        `json:"device_id,omitempty"`
	OccurTime  time.Time     `json:"occur_time"`
}

// PlayEventLog publishes play events for consumers beyond the history kept
// here (analytics, royalties), keyed by user so one user's events stay in
// order.
type PlayEventLog interface {
	PublishPlayEvents(ctx context.Context, userID string, events []PlayEvent) error
}
