package domain

import (
	"context"
	"time"
)

// StreamKind says what a playback streams, so clients know what to expect
// of it (seeking, bit rate switching).
type StreamKind int

const (
	// StreamLadder is the transcoded set: HLS, DASH and progressive AAC.
	StreamLadder StreamKind = iota + 1
	// StreamOriginal is the uploaded file as it is, progressive with
	// ranges: a format browsers and the SDK players play.
	StreamOriginal
	// StreamLive is the upload transcoded while it streams: no ranges, so
	// seeking may be limited.
	StreamLive
)

// Source is the stored original of a track's newest upload, which plays
// until a ladder made from some upload is ready.
type Source struct {
	UploadID string
	// UserID uploaded it.
	UserID string
	// Ext names the format browsers play it as ("mp3", "flac", ...); empty
	// when they cannot play it and it streams transcoded on the fly.
	Ext string
}

// MediaSources finds what the media layer stored of a track.
type MediaSources interface {
	// NewestSource returns the newest stored upload of the track, and
	// KindNotFound when it has none.
	NewestSource(ctx context.Context, trackID string) (*Source, error)
}

// SourceSigner signs the URL of a source: the file itself when Ext is set,
// else its on-the-fly transcode.
type SourceSigner interface {
	SourceURL(trackID string, src *Source, userID string) (url string, expire time.Time)
}

// UrgentJobs jumps a job ahead of bulk work: a listener is waiting for it.
type UrgentJobs interface {
	EnqueueUrgentTranscode(ctx context.Context, job TranscodeJob) error
}
