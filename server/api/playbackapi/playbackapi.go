// Package playbackapi serves backbeat.playback.v1.PlaybackService over
// *domain.Playback.
package playbackapi

import (
	"context"
	"time"

	"connectrpc.com/connect"

	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/playback/v1/playbackv1connect"
	"github.com/backbeat/backbeat/server/api/internal/edge"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

const (
	maxEvents = 100
	// maxPosition bounds positions; no track is a day long.
	maxPosition = int64(24 * time.Hour / time.Millisecond)
	maxDeviceID = 128
	// Devices report plays made offline when they reconnect; older reports
	// than this are refused rather than silently rewriting old history.
	maxEventAge = 30 * 24 * time.Hour
	// clockSkew tolerates device clocks running a little fast.
	clockSkew = 5 * time.Minute
)

type Handler struct {
	svc       *domain.Playback
	principal edge.PrincipalFunc
	now       func() time.Time
}

var _ playbackv1connect.PlaybackServiceHandler = (*Handler)(nil)

func New(svc *domain.Playback, principal func(context.Context) (domain.Principal, bool)) *Handler {
	return &Handler{svc: svc, principal: principal, now: time.Now}
}

func (h *Handler) StartPlayback(ctx context.Context, req *connect.Request[playbackv1.StartPlaybackRequest]) (*connect.Response[playbackv1.StartPlaybackResponse], error) {
	p, err := edge.Caller(ctx, h.principal)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	var pc domain.PlayContext
	switch c := m.GetContext().GetContext().(type) {
	case *playbackv1.PlaybackContext_PlaylistId:
		if err := validate.ID("context.playlist_id", c.PlaylistId); err != nil {
			return nil, err
		}
		pc.PlaylistID = c.PlaylistId
	case *playbackv1.PlaybackContext_AlbumId:
		if err := validate.ID("context.album_id", c.AlbumId); err != nil {
			return nil, err
		}
		pc.AlbumID = c.AlbumId
	case *playbackv1.PlaybackContext_LikedSongs:
		if !c.LikedSongs {
			return nil, domain.Invalid("context.liked_songs", "must be true when set")
		}
		pc.LikedSongs = true
	}
	if m.GetTrackId() == "" && pc == (domain.PlayContext{}) {
		return nil, domain.Invalid("track_id", "is required when no context is given")
	}
	if err := validate.OptionalID("track_id", m.GetTrackId()); err != nil {
		return nil, err
	}
	if err := validate.Int("context_index", int64(m.GetContextIndex()), 0, domain.MaxPlaylistEntries-1); err != nil {
		return nil, err
	}
	pc.Index = int(m.GetContextIndex())
	if err := validate.Int("position_ms", m.GetPositionMs(), 0, maxPosition); err != nil {
		return nil, err
	}
	if err := validate.Text("device_id", m.GetDeviceId(), 0, maxDeviceID); err != nil {
		return nil, err
	}
	st, err := h.svc.Start(ctx, p, m.GetTrackId(), pc, time.Duration(m.GetPositionMs())*time.Millisecond)
	if err != nil {
		return nil, err
	}
	t := st.Track
	return connect.NewResponse(&playbackv1.StartPlaybackResponse{
		TrackId:        t.ID,
		HlsUrl:         st.URLs.HLS,
		DashUrl:        st.URLs.DASH,
		ProgressiveUrl: st.URLs.Progressive,
		ExpireTime:     edge.Timestamp(st.URLs.Expire),
		DurationMs:     t.Duration.Milliseconds(),
		Loudness: &playbackv1.Loudness{
			IntegratedLufs: t.Loudness.IntegratedLUFS,
			TruePeakDbtp:   t.Loudness.TruePeakDBTP,
			RangeLu:        t.Loudness.RangeLU,
		},
		PositionMs:  st.Position.Milliseconds(),
		PlaybackId:  st.PlaybackID,
		StreamKind:  streamKinds[st.Kind],
		LadderReady: st.Kind == domain.StreamLadder,
	}), nil
}

var streamKinds = map[domain.StreamKind]playbackv1.StreamKind{
	domain.StreamLadder:   playbackv1.StreamKind_STREAM_KIND_LADDER,
	domain.StreamOriginal: playbackv1.StreamKind_STREAM_KIND_ORIGINAL,
	domain.StreamLive:     playbackv1.StreamKind_STREAM_KIND_LIVE_TRANSCODE,
}

var eventTypes = map[playbackv1.EventType]domain.PlayEventType{
	playbackv1.EventType_EVENT_TYPE_START:    domain.PlayEventStart,
	playbackv1.EventType_EVENT_TYPE_PROGRESS: domain.PlayEventProgress,
	playbackv1.EventType_EVENT_TYPE_END:      domain.PlayEventEnd,
	playbackv1.EventType_EVENT_TYPE_SKIP:     domain.PlayEventSkip,
}

func (h *Handler) ReportPlayback(ctx context.Context, req *connect.Request[playbackv1.ReportPlaybackRequest]) (*connect.Response[playbackv1.ReportPlaybackResponse], error) {
	p, err := edge.Caller(ctx, h.principal)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetEvents()
	if err := validate.Count("events", len(in), 1, maxEvents); err != nil {
		return nil, err
	}
	now := h.now()
	events := make([]domain.PlayEvent, len(in))
	for i, e := range in {
		f := validate.Item("events", i) + "."
		if err := validate.ID(f+"playback_id", e.GetPlaybackId()); err != nil {
			return nil, err
		}
		if err := validate.ID(f+"track_id", e.GetTrackId()); err != nil {
			return nil, err
		}
		typ, ok := eventTypes[e.GetType()]
		if !ok {
			return nil, domain.Invalid(f+"type", "must be START, PROGRESS, END or SKIP")
		}
		if err := validate.Int(f+"position_ms", e.GetPositionMs(), 0, maxPosition); err != nil {
			return nil, err
		}
		if err := validate.Text(f+"device_id", e.GetDeviceId(), 0, maxDeviceID); err != nil {
			return nil, err
		}
		at := now
		if ts := e.GetOccurTime(); ts != nil {
			if err := ts.CheckValid(); err != nil {
				return nil, domain.Invalid(f+"occur_time", "is not a valid timestamp")
			}
			at = ts.AsTime()
			if at.After(now.Add(clockSkew)) {
				return nil, domain.Invalid(f+"occur_time", "is in the future")
			}
			if at.Before(now.Add(-maxEventAge)) {
				return nil, domain.Invalid(f+"occur_time", "is older than %d days", int(maxEventAge.Hours()/24))
			}
		}
		events[i] = domain.PlayEvent{
			PlaybackID: e.GetPlaybackId(), TrackID: e.GetTrackId(), Type: typ,
			Position: time.Duration(e.GetPositionMs()) * time.Millisecond, DeviceID: e.GetDeviceId(), OccurTime: at,
		}
	}
	if err := h.svc.Report(ctx, p, events); err != nil {
		return nil, err
	}
	return connect.NewResponse(&playbackv1.ReportPlaybackResponse{}), nil
}

func (h *Handler) ListRecentlyPlayed(ctx context.Context, req *connect.Request[playbackv1.ListRecentlyPlayedRequest]) (*connect.Response[playbackv1.ListRecentlyPlayedResponse], error) {
	p, err := edge.Caller(ctx, h.principal)
	if err != nil {
		return nil, err
	}
	pg, err := validate.Page(req.Msg.GetPageSize(), req.Msg.GetPageToken(), validate.DefaultPageSize, validate.MaxPageSize)
	if err != nil {
		return nil, err
	}
	plays, next, err := h.svc.RecentlyPlayed(ctx, p, pg)
	if err != nil {
		return nil, err
	}
	out := &playbackv1.ListRecentlyPlayedResponse{NextPageToken: next}
	for _, pl := range plays {
		out.Items = append(out.Items, &playbackv1.PlayedTrack{TrackId: pl.TrackID, PlayTime: edge.Timestamp(pl.PlayTime), DeviceId: pl.DeviceID})
	}
	return connect.NewResponse(out), nil
}
