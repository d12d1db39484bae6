package domain

import (
	"context"
	"fmt"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
)

// MediaSigner issues the signed, expiring URLs clients upload and stream
// with. The media package implements it; the domain decides who gets one.
type MediaSigner interface {
	// UploadURL is where userID may PUT the audio of one upload of a track.
	UploadURL(trackID, uploadID, userID string) (url string, expire time.Time)
	// PlaybackURLs are the HLS, DASH and progressive URLs of a track's media
	// set for userID.
	PlaybackURLs(trackID, mediaID, userID string) MediaURLs
}

type MediaURLs struct {
	HLS, DASH, Progressive string
	Expire                 time.Time
}

// Upload is a granted upload: where to PUT the audio, until when.
type Upload struct {
	ID, TrackID, URL string
	Expire           time.Time
	MaxBytes         int64
}

// Media runs the upload side of the media pipeline: who may upload, and what
// an arrived upload or a finished transcode does to the track.
type Media struct {
	catalog  *Catalog
	stores   Stores
	jobs     JobQueue
	janitor  *Janitor
	signer   MediaSigner
	maxBytes int64
}

func NewMedia(stores Stores, catalog *Catalog, jobs JobQueue, janitor *Janitor, signer MediaSigner, maxBytes int64) *Media {
	return &Media{catalog: catalog, stores: stores, jobs: jobs, janitor: janitor, signer: signer, maxBytes: maxBytes}
}

// MaxUploadBytes is the largest upload accepted.
func (m *Media) MaxUploadBytes() int64 { return m.maxBytes }

// CreateUpload grants p an upload URL for a track p manages. size, when the
// client knows it (> 0), is checked up front so a too-large file fails
// before any byte is sent.
func (m *Media) CreateUpload(ctx context.Context, p Principal, trackID string, size int64) (_ *Upload, err error) {
	defer derrors.Wrap(&err, "Media.CreateUpload(%q)", trackID)
	if size > m.maxBytes {
		return nil, Invalid("size_bytes", "the file is %d bytes; uploads are limited to %d bytes", size, m.maxBytes)
	}
	if _, err := m.catalog.trackForManager(ctx, p, trackID); err != nil {
		return nil, err
	}
	id := NewID()
	url, exp := m.signer.UploadURL(trackID, id, p.UserID)
	return &Upload{ID: id, TrackID: trackID, URL: url, Expire: exp, MaxBytes: m.maxBytes}, nil
}

// AcceptUpload tells whether an upload's bytes may be received, before
// any is read: its track exists (else KindNotFound) and plays neither this
// upload (already received and transcoded) nor a newer one (this one was
// replaced), either of which is KindFailedPrecondition. An upload that
// cannot win would only put the track in PROCESSING for a job with nothing
// to do.
func (m *Media) AcceptUpload(ctx context.Context, job TranscodeJob) (err error) {
	defer derrors.Wrap(&err, "Media.AcceptUpload(%q)", job.TrackID)
	t, err := m.stores.Catalog.GetTrack(ctx, job.TrackID)
	if err != nil {
		return err
	}
	return superseded(t, job)
}

func superseded(t *Track, job TranscodeJob) error {
	switch {
	case t.MediaID == job.UploadID:
		return FailedPrecondition("upload %q was already received; ask for a new upload URL to replace it", job.UploadID)
	case t.MediaID > job.UploadID:
		return FailedPrecondition("upload %q was replaced by a newer upload; ask for a new upload URL", job.UploadID)
	}
	return nil
}

// UploadReceived is called once the upload's bytes are stored. The track
// turns processing (its current media, if any, keeps playing) and a
// transcode job is queued. An upload the track already plays, or that a
// newer one replaced meanwhile, is refused as AcceptUpload refuses it
// (the replaced one's file is removed): the track never turns processing
// for a job that would find nothing to do. If the job cannot be queued the
// track's status is put back, so a failed receipt leaves no track
// processing for a job that does not exist.
func (m *Media) UploadReceived(ctx context.Context, job TranscodeJob) (err error) {
	defer derrors.Wrap(&err, "Media.UploadReceived(%q)", job.TrackID)
	t, err := m.stores.Catalog.GetTrack(ctx, job.TrackID)
	if err != nil {
		return err
	}
	if err := superseded(t, job); err != nil {
		if t.MediaID > job.UploadID {
			if cerr := m.janitor.unused(ctx, job.TrackID, job.UploadID); cerr != nil {
				return cerr
			}
		}
		return err
	}
	tm := mediaOf(t)
	tm.Status, tm.StatusReason = TrackProcessing, ""
	if err := m.stores.Catalog.SetTrackMedia(ctx, t.ID, tm); err != nil {
		return err
	}
	if err := m.jobs.EnqueueTranscode(ctx, job); err != nil {
		// Best effort, and whatever the caller's deadline: the error that
		// matters is the queue's.
		_ = m.stores.Catalog.SetTrackMedia(context.WithoutCancel(ctx), t.ID, mediaOf(t))
		return err
	}
	return nil
}

// TranscodeReady makes a finished media set the one that plays, unless a
// newer upload already does (ids sort by time: two uploads transcoded at
// once may finish in either order). The set it replaces is removed once the
// URLs handed out for it have expired; a set that lost to a newer one, or
// that finished after its track was deleted, is removed at once.
func (m *Media) TranscodeReady(ctx context.Context, job TranscodeJob, duration time.Duration, loud Loudness) (err error) {
	defer derrors.Wrap(&err, "Media.TranscodeReady(%q)", job.TrackID)
	t, err := m.stores.Catalog.GetTrack(ctx, job.TrackID)
	if IsKind(err, KindNotFound) {
		// The track's own cleanup may have run before this set was stored.
		return m.janitor.unused(ctx, job.TrackID, "")
	}
	if err != nil {
		return err
	}
	if t.MediaID > job.UploadID {
		return m.janitor.unused(ctx, job.TrackID, job.UploadID)
	}
	// Scheduled before the switch: if the switch then fails, the job finds
	// the old set still playing and leaves it.
	if t.MediaID != job.UploadID {
		if err := m.janitor.replaced(ctx, job.TrackID, t.MediaID); err != nil {
			return err
		}
	}
	err = m.stores.Catalog.SetTrackMedia(ctx, job.TrackID, TrackMedia{
		Status: TrackReady, MediaID: job.UploadID, Duration: duration, Loudness: loud,
	})
	if err != nil {
		return err
	}
	return nil
}

// TranscodeFailed records why an upload cannot be used, and removes it.
// Media from an earlier upload, if any, keeps playing.
func (m *Media) TranscodeFailed(ctx context.Context, job TranscodeJob, reason string) (err error) {
	defer derrors.Wrap(&err, "Media.TranscodeFailed(%q)", job.TrackID)
	t, err := m.stores.Catalog.GetTrack(ctx, job.TrackID)
	if IsKind(err, KindNotFound) {
		return m.janitor.unused(ctx, job.TrackID, "")
	}
	if err != nil {
		return err
	}
	if err := m.janitor.unused(ctx, job.TrackID, job.UploadID); err != nil {
		return err
	}
	tm := mediaOf(t)
	tm.Status, tm.StatusReason = TrackFailed, reason
	if err := m.stores.Catalog.SetTrackMedia(ctx, t.ID, tm); err != nil {
		return err
	}
	return nil
}

// NeedsTranscode reports whether a job still has work to do: its track
// exists and plays neither this upload nor a newer one (a newer one wins
// anyway, and this upload's file may already be cleaned up).
func (m *Media) NeedsTranscode(ctx context.Context, job TranscodeJob) (_ bool, err error) {
	defer derrors.Wrap(&err, "Media.NeedsTranscode(%q)", job.TrackID)
	t, err := m.stores.Catalog.GetTrack(ctx, job.TrackID)
	if IsKind(err, KindNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return t.MediaID < job.UploadID, nil
}

func mediaOf(t *Track) TrackMedia {
	return TrackMedia{Status: t.Status, StatusReason: t.StatusReason, MediaID: t.MediaID, Duration: t.Duration, Loudness: t.Loudness}
}

// Playback decides who may play what and keeps listening history.
type Playback struct {
	stores    Stores
	playlists *Playlists
	signer    MediaSigner
	events    PlayEventLog
	cfg       PlaybackConfig
}

// PlaybackConfig configures the playback service.
type PlaybackConfig struct {
	// MaxCountedPerHour caps a user's counted plays per clock hour (UTC) in
	// which their playbacks started; 0 means DefaultMaxCountedPerHour.
	MaxCountedPerHour int
	Now               func() time.Time
	// Sources, Signer and Urgent, when all set, make a track whose upload
	// is stored but whose ladder is not ready play at once (its original,
	// or an on-the-fly transcode) and move its ladder job ahead of bulk
	// work. Without them such a track is FailedPrecondition until ready.
	Sources MediaSources
	Signer  SourceSigner
	Urgent  UrgentJobs
}

// DefaultMaxCountedPerHour is as many plays as one listener can really
// hear in an hour when each must last CountAfter: 3600 s / 30 s.
const DefaultMaxCountedPerHour = int(time.Hour / CountAfter)

// ReportWindow is how long after StartPlayback its playback's events are
// accepted: the age of the oldest event the API takes (a device back
// online after a month reports what it played), and a day of margin.
const ReportWindow = 31 * 24 * time.Hour

// NewPlayback is NewPlaybackConfig with the default limits and now as the
// clock (time.Now when nil).
func NewPlayback(stores Stores, playlists *Playlists, signer MediaSigner, events PlayEventLog, now func() time.Time) *Playback {
	return NewPlaybackConfig(stores, playlists, signer, events, PlaybackConfig{Now: now})
}

func NewPlaybackConfig(stores Stores, playlists *Playlists, signer MediaSigner, events PlayEventLog, cfg PlaybackConfig) *Playback {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxCountedPerHour <= 0 {
		cfg.MaxCountedPerHour = DefaultMaxCountedPerHour
	}
	return &Playback{stores: stores, playlists: playlists, signer: signer, events: events, cfg: cfg}
}

// PlayContext is where a play starts from: a playlist, an album or the
// listener's liked songs (or none). Index picks the track when no track id
// is given.
type PlayContext struct {
	PlaylistID, AlbumID string
	LikedSongs          bool
	Index               int
}

type PlaybackStart struct {
	Track      *Track
	URLs       MediaURLs
	PlaybackID string
	Position   time.Duration
	Kind       StreamKind
}

// Start checks p may play the track (in its context, if any) and that it has
// playable media, and returns signed URLs.
func (pb *Playback) Start(ctx context.Context, p Principal, trackID string, pc PlayContext, pos time.Duration) (_ *PlaybackStart, err error) {
	defer derrors.Wrap(&err, "Playback.Start(%q)", trackID)
	ctx, end := startSpan(ctx, "Playback.Start")
	defer func() { end(err) }()
	// A playback is bound to its listener (play counts believe only the
	// listener's own playbacks), so there is none without one.
	if p.UserID == "" {
		return nil, Unauthenticated("sign in to play")
	}
	switch {
	case pc.PlaylistID != "":
		trackID, err = pb.inPlaylist(ctx, p, pc, trackID)
	case pc.AlbumID != "":
		trackID, err = pb.inAlbum(ctx, pc, trackID)
	case pc.LikedSongs:
		trackID, err = pb.inLikedSongs(ctx, p, pc, trackID)
	}
	if err != nil {
		return nil, err
	}
	t, err := pb.stores.Catalog.GetTrack(ctx, trackID)
	if err != nil {
		return nil, err
	}
	var early *Source
	if t.MediaID == "" && t.Status == TrackProcessing {
		early, err = pb.beforeLadder(ctx, t)
		if err != nil {
			return nil, err
		}
	}
	if t.MediaID == "" && early == nil {
		switch t.Status {
		case TrackFailed:
			return nil, FailedPrecondition("track %q has no playable audio: %s", t.ID, t.StatusReason)
		case TrackProcessing:
			return nil, FailedPrecondition("track %q is still being processed; try again shortly", t.ID)
		default:
			return nil, FailedPrecondition("track %q has no audio uploaded yet", t.ID)
		}
	}
	if t.Duration > 0 && pos >= t.Duration {
		return nil, Invalid("position_ms", "position %d ms is past the end of the track (%d ms)", pos.Milliseconds(), t.Duration.Milliseconds())
	}
	// The playback id is remembered with whom and what it is for: reports
	// are believed only for playbacks started here.
	now := pb.cfg.Now()
	sp := &StartedPlayback{
		UserID: p.UserID, PlaybackID: newIDAt(now), TrackID: t.ID, Position: pos,
		StartTime: now, ExpireTime: now.Add(ReportWindow),
	}
	if err := pb.stores.Plays.CreatePlayback(ctx, sp); err != nil {
		return nil, err
	}
	st := &PlaybackStart{Track: t, PlaybackID: sp.PlaybackID, Position: pos, Kind: StreamLadder}
	switch {
	case early == nil:
		st.URLs = pb.signer.PlaybackURLs(t.ID, t.MediaID, p.UserID)
	case early.Ext != "":
		st.Kind = StreamOriginal
		st.URLs.Progressive, st.URLs.Expire = pb.cfg.Signer.SourceURL(t.ID, early, p.UserID)
	default:
		st.Kind = StreamLive
		st.URLs.Progressive, st.URLs.Expire = pb.cfg.Signer.SourceURL(t.ID, early, p.UserID)
	}
	return st, nil
}

// beforeLadder finds the stored upload a processing track without a ladder
// plays meanwhile, and puts its ladder job ahead of bulk work. It returns
// nil when there is none (or no way to play one).
func (pb *Playback) beforeLadder(ctx context.Context, t *Track) (*Source, error) {
	if pb.cfg.Sources == nil || pb.cfg.Signer == nil || pb.cfg.Urgent == nil {
		return nil, nil
	}
	src, err := pb.cfg.Sources.NewestSource(ctx, t.ID)
	if IsKind(err, KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// Best effort: the bulk job of this upload is queued anyway, so a
	// failure here only loses the head start, and must not stop the play.
	_ = pb.cfg.Urgent.EnqueueUrgentTranscode(ctx, TranscodeJob{TrackID: t.ID, UploadID: src.UploadID, UserID: src.UserID})
	return src, nil
}

// maxContextScan bounds how far into a playlist Start looks.
const maxContextScan = MaxPlaylistEntries

func (pb *Playback) inPlaylist(ctx context.Context, p Principal, pc PlayContext, trackID string) (string, error) {
	if _, err := pb.playlists.visible(ctx, p, pc.PlaylistID); err != nil {
		return "", err
	}
	idx := 0
	pg := Page{Size: MaxPageSize}
	for idx < maxContextScan {
		entries, next, err := pb.stores.Playlists.ListEntries(ctx, pc.PlaylistID, pg)
		if err != nil {
			return "", err
		}
		for _, e := range entries {
			if trackID == "" && idx == pc.Index {
				return e.TrackID, nil
			}
			if trackID != "" && e.TrackID == trackID {
				return trackID, nil
			}
			idx++
		}
		if next == "" {
			break
		}
		pg.Token = next
	}
	if trackID == "" {
		return "", Invalid("context_index", "the playlist has %d tracks; index %d is out of range", idx, pc.Index)
	}
	return "", NotFound("track in playlist", trackID)
}

func (pb *Playback) inAlbum(ctx context.Context, pc PlayContext, trackID string) (string, error) {
	if _, err := pb.stores.Catalog.GetAlbum(ctx, pc.AlbumID); err != nil {
		return "", err
	}
	if trackID != "" {
		t, err := pb.stores.Catalog.GetTrack(ctx, trackID)
		if err != nil {
			return "", err
		}
		if t.AlbumID != pc.AlbumID {
			return "", NotFound("track in album", trackID)
		}
		return trackID, nil
	}
	idx := 0
	pg := Page{Size: MaxPageSize}
	for {
		tracks, next, err := pb.stores.Catalog.ListTracksByAlbum(ctx, pc.AlbumID, pg)
		if err != nil {
			return "", err
		}
		if pc.Index < idx+len(tracks) {
			return tracks[pc.Index-idx].ID, nil
		}
		idx += len(tracks)
		if next == "" {
			return "", Invalid("context_index", "the album has %d tracks; index %d is out of range", idx, pc.Index)
		}
		pg.Token = next
	}
}

// CountAfter is how long a play must last to count towards a track's play
// count, like the industry's 30-second rule; a track shorter than that
// counts once heard to its end.
const CountAfter = 30 * time.Second

const (
	// countSlack is how far the listening time a device reports may run
	// ahead of the server's clock since StartPlayback (buffering, the report's
	// own trip) and still be believed.
	countSlack = 5 * time.Second
	// endTolerance is how short of a track's duration its end may be
	// reported: players stop a frame or a rounding early.
	endTolerance = time.Second
)

// Report records a batch of a user's playback events. Each event must name
// a playback StartPlayback gave this user (else KindNotFound) and its track
// (else KindInvalid); a batch with any such event writes nothing. A play's
// first event puts it in the listening history, and it counts, once, when
// an event shows it heard for CountAfter (or a short track to its end), no
// more than the time since StartPlayback allows, and the user is under
// MaxCountedPerHour for the hour the play started in: past that cap plays
// stay in the history uncounted, so a heavy listener loses nothing and a
// flood gains nothing. Events for tracks since deleted are kept out of the
// history (a device may report plays made offline long ago). The batch is
// published to the play event log for later consumers.
func (pb *Playback) Report(ctx context.Context, p Principal, events []PlayEvent) (err error) {
	defer derrors.Wrap(&err, "Playback.Report")
	ctx, end := startSpan(ctx, "Playback.Report")
	defer func() { end(err) }()
	now := pb.cfg.Now()
	started := make(map[string]*StartedPlayback, len(events))
	ids := make([]string, 0, len(events))
	for i := range events {
		e := &events[i]
		e.UserID = p.UserID
		sp, ok := started[e.PlaybackID]
		if !ok {
			sp, err = pb.stores.Plays.GetPlayback(ctx, p.UserID, e.PlaybackID)
			if err == nil && now.After(sp.ExpireTime) {
				err = NotFound("playback", e.PlaybackID)
			}
			if err != nil {
				return err
			}
			started[e.PlaybackID] = sp
			ids = append(ids, sp.TrackID)
		}
		if e.TrackID != sp.TrackID {
			return Invalid(fmt.Sprintf("events[%d].track_id", i), "is not the track playback %q was started for", e.PlaybackID)
		}
	}
	tracks, err := pb.stores.Catalog.BatchGetTracks(ctx, ids)
	if err != nil {
		return err
	}
	byID := make(map[string]*Track, len(tracks))
	for _, t := range tracks {
		// A processing track without a ladder plays its stored upload.
		if t.MediaID == "" && t.Status != TrackProcessing {
			return FailedPrecondition("track %q has no playable audio", t.ID)
		}
		byID[t.ID] = t
	}
	for _, e := range events {
		t := byID[e.TrackID]
		if t == nil {
			continue
		}
		sp := started[e.PlaybackID]
		err := pb.stores.Plays.RecordPlay(ctx, &Play{
			UserID: p.UserID, PlaybackID: e.PlaybackID, TrackID: e.TrackID, DeviceID: e.DeviceID, PlayTime: e.OccurTime,
		})
		if err != nil {
			return err
		}
		if !heard(e, sp, t, now) {
			continue
		}
		hour := sp.StartTime.UTC().Truncate(time.Hour)
		n, err := pb.stores.Plays.CountedPlays(ctx, p.UserID, idFloor(hour), idFloor(hour.Add(time.Hour)))
		if err != nil {
			return err
		}
		if n >= pb.cfg.MaxCountedPerHour {
			continue
		}
		if err := pb.stores.Plays.CountPlay(ctx, p.UserID, e.PlaybackID, e.TrackID); err != nil {
			return err
		}
	}
	if err := pb.events.PublishPlayEvents(ctx, p.UserID, events); err != nil {
		return err
	}
	return nil
}

// heard reports whether e shows its play heard long enough to count, and
// no longer than the wall-clock time since it started allows.
func heard(e PlayEvent, sp *StartedPlayback, t *Track, now time.Time) bool {
	listened := e.Position - sp.Position
	need := CountAfter
	if t.Duration > 0 && t.Duration-endTolerance < need {
		need = max(t.Duration-endTolerance, endTolerance)
	}
	return listened >= need && listened <= now.Sub(sp.StartTime)+countSlack
}

// RecentlyPlayed lists p's plays, newest first.
func (pb *Playback) RecentlyPlayed(ctx context.Context, p Principal, pg Page) (_ []*Play, _ string, err error) {
	defer derrors.Wrap(&err, "Playback.RecentlyPlayed")
	plays, next, err := pb.stores.Plays.ListPlays(ctx, p.UserID, pg)
	if err != nil {
		return nil, "", err
	}
	return plays, next, nil
}
