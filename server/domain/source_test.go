package domain_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// sources is a media layer holding one stored upload per track.
type sources map[string]*domain.Source

func (s sources) NewestSource(_ context.Context, trackID string) (*domain.Source, error) {
	if src, ok := s[trackID]; ok {
		return src, nil
	}
	return nil, domain.NotFound("stored upload of track", trackID)
}

func (sources) SourceURL(trackID string, src *domain.Source, userID string) (string, time.Time) {
	return "src/" + trackID + "/" + src.UploadID + "/" + src.Ext, time.Now().Add(time.Hour)
}

// urgentLog records urgent jobs, failing them when err is set.
type urgentLog struct {
	jobs []domain.TranscodeJob
	err  error
}

func (u *urgentLog) EnqueueUrgentTranscode(_ context.Context, j domain.TranscodeJob) error {
	u.jobs = append(u.jobs, j)
	return u.err
}

// TestStartBeforeLadder: a track whose upload is stored but not transcoded
// plays its original (or an on-the-fly transcode) and its ladder job turns
// urgent; failed and upload-less tracks still refuse; a ready ladder wins.
func TestStartBeforeLadder(t *testing.T) {
	w := newWorld(t)
	ar := w.newArtist(t)
	fan := domain.Principal{UserID: w.artist.UserID, Roles: w.artist.Roles}
	mp3, aiff, failed, none := w.newTrack(t, ar.ID, ""), w.newTrack(t, ar.ID, ""), w.newTrack(t, ar.ID, ""), w.newTrack(t, ar.ID, "")
	src := sources{
		mp3.ID:    {UploadID: domain.NewID(), UserID: w.artist.UserID, Ext: "mp3"},
		aiff.ID:   {UploadID: domain.NewID(), UserID: w.artist.UserID},
		failed.ID: {UploadID: domain.NewID()},
	}
	for _, tr := range []*domain.Track{mp3, aiff, failed} {
		if err := w.media.UploadReceived(w.ctx, domain.TranscodeJob{TrackID: tr.ID, UploadID: src[tr.ID].UploadID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.media.TranscodeFailed(w.ctx, domain.TranscodeJob{TrackID: failed.ID, UploadID: src[failed.ID].UploadID}, "not audio"); err != nil {
		t.Fatal(err)
	}
	urgent := &urgentLog{err: errors.New("broker down")} // must not stop a play
	pb := domain.NewPlaybackConfig(w.stores, nil, fakeSigner{}, discard{}, domain.PlaybackConfig{Sources: src, Signer: src, Urgent: urgent})

	for _, tc := range []struct {
		tr   *domain.Track
		kind domain.StreamKind
	}{{mp3, domain.StreamOriginal}, {aiff, domain.StreamLive}} {
		st, err := pb.Start(w.ctx, fan, tc.tr.ID, domain.PlayContext{}, 0)
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		want := "src/" + tc.tr.ID + "/" + src[tc.tr.ID].UploadID + "/" + src[tc.tr.ID].Ext
		if st.Kind != tc.kind || st.URLs.Progressive != want || st.URLs.HLS != "" || st.URLs.DASH != "" {
			t.Errorf("Start = kind %v, URLs %+v; want kind %v, progressive %s", st.Kind, st.URLs, tc.kind, want)
		}
		// Its play may be reported like any other.
		if err := pb.Report(w.ctx, fan, []domain.PlayEvent{{PlaybackID: st.PlaybackID, TrackID: tc.tr.ID, Type: domain.PlayEventStart, OccurTime: time.Now()}}); err != nil {
			t.Errorf("Report: %v", err)
		}
	}
	if len(urgent.jobs) != 2 || urgent.jobs[0] != (domain.TranscodeJob{TrackID: mp3.ID, UploadID: src[mp3.ID].UploadID, UserID: w.artist.UserID}) {
		t.Errorf("urgent jobs = %+v", urgent.jobs)
	}
	for _, tr := range []*domain.Track{failed, none} {
		if _, err := pb.Start(w.ctx, fan, tr.ID, domain.PlayContext{}, 0); !domain.IsKind(err, domain.KindFailedPrecondition) {
			t.Errorf("Start of a %v track: %v, want failed precondition", tr.Status, err)
		}
	}
	// Without the media layer's ports, as before: wait for the ladder.
	plain := domain.NewPlaybackConfig(w.stores, nil, fakeSigner{}, discard{}, domain.PlaybackConfig{})
	if _, err := plain.Start(w.ctx, fan, mp3.ID, domain.PlayContext{}, 0); !domain.IsKind(err, domain.KindFailedPrecondition) {
		t.Errorf("Start without sources: %v", err)
	}
	// Once the ladder is ready it plays.
	if err := w.media.TranscodeReady(w.ctx, domain.TranscodeJob{TrackID: mp3.ID, UploadID: src[mp3.ID].UploadID}, time.Minute, domain.Loudness{}); err != nil {
		t.Fatal(err)
	}
	st, err := pb.Start(w.ctx, fan, mp3.ID, domain.PlayContext{}, 0)
	if err != nil || st.Kind != domain.StreamLadder || st.URLs.HLS != "hls/"+src[mp3.ID].UploadID {
		t.Errorf("Start after the ladder: %+v, %v", st, err)
	}
}
