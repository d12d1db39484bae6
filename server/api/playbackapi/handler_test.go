package playbackapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	"github.com/backbeat/backbeat/server/api/internal/apitest"
	"github.com/backbeat/backbeat/server/domain"
)

const (
	trackID    = "01htrzzzzzzzzzzzzzzzzzzzzz"
	playbackID = "01hpbzzzzzzzzzzzzzzzzzzzzz"
)

func event(mod func(*playbackv1.PlaybackEvent)) *playbackv1.ReportPlaybackRequest {
	e := &playbackv1.PlaybackEvent{PlaybackId: playbackID, TrackId: trackID, Type: playbackv1.EventType_EVENT_TYPE_START}
	mod(e)
	return &playbackv1.ReportPlaybackRequest{Events: []*playbackv1.PlaybackEvent{e}}
}

func TestRefusesBadRequestsBeforeTheStore(t *testing.T) {
	h := New(domain.NewPlayback(domain.Stores{}, nil, nil, nil, nil), apitest.As(apitest.Caller()))
	ctx := context.Background()
	start := func(m *playbackv1.StartPlaybackRequest) func() error {
		return func() error { _, err := h.StartPlayback(ctx, connect.NewRequest(m)); return err }
	}
	report := func(m *playbackv1.ReportPlaybackRequest) func() error {
		return func() error { _, err := h.ReportPlayback(ctx, connect.NewRequest(m)); return err }
	}
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"start with nothing to play", start(&playbackv1.StartPlaybackRequest{}), "track_id"},
		{"start bad track id", start(&playbackv1.StartPlaybackRequest{TrackId: "nope"}), "track_id"},
		{"start bad playlist", start(&playbackv1.StartPlaybackRequest{Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_PlaylistId{PlaylistId: "x"}}}), "context.playlist_id"},
		{"start bad album", start(&playbackv1.StartPlaybackRequest{Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_AlbumId{}}}), "context.album_id"},
		{"start negative index", start(&playbackv1.StartPlaybackRequest{TrackId: trackID, ContextIndex: -1}), "context_index"},
		{"start negative position", start(&playbackv1.StartPlaybackRequest{TrackId: trackID, PositionMs: -5}), "position_ms"},
		{"start long device", start(&playbackv1.StartPlaybackRequest{TrackId: trackID, DeviceId: strings.Repeat("d", 129)}), "device_id"},
		{"report nothing", report(&playbackv1.ReportPlaybackRequest{}), "events"},
		{"report too many", report(&playbackv1.ReportPlaybackRequest{Events: make([]*playbackv1.PlaybackEvent, 101)}), "events"},
		{"report bad playback id", report(event(func(e *playbackv1.PlaybackEvent) { e.PlaybackId = "" })), "events[0].playback_id"},
		{"report bad track id", report(event(func(e *playbackv1.PlaybackEvent) { e.TrackId = "x" })), "events[0].track_id"},
		{"report no type", report(event(func(e *playbackv1.PlaybackEvent) { e.Type = 0 })), "events[0].type"},
		{"report negative position", report(event(func(e *playbackv1.PlaybackEvent) { e.PositionMs = -1 })), "events[0].position_ms"},
		{"report future", report(event(func(e *playbackv1.PlaybackEvent) { e.OccurTime = timestamppb.New(time.Now().Add(time.Hour)) })), "events[0].occur_time"},
		{"report ancient", report(event(func(e *playbackv1.PlaybackEvent) { e.OccurTime = timestamppb.New(time.Now().Add(-40 * 24 * time.Hour)) })), "events[0].occur_time"},
		{"list bad page size", func() error {
			_, err := h.ListRecentlyPlayed(ctx, connect.NewRequest(&playbackv1.ListRecentlyPlayedRequest{PageSize: -1}))
			return err
		}, "page_size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			apitest.WantError(t, apitest.NoStore(t, tc.call), connect.CodeInvalidArgument, tc.field)
		})
	}
}

func TestNeedsACaller(t *testing.T) {
	h := New(domain.NewPlayback(domain.Stores{}, nil, nil, nil, nil), apitest.Anonymous)
	_, err := h.ListRecentlyPlayed(context.Background(), connect.NewRequest(&playbackv1.ListRecentlyPlayedRequest{}))
	apitest.WantError(t, err, connect.CodeUnauthenticated, "")
}

// TestRefusesBidiControlsInDeviceIDs: device ids are shown in the listening
// history, so they are text like any name.
func TestRefusesBidiControlsInDeviceIDs(t *testing.T) {
	h := New(domain.NewPlayback(domain.Stores{}, nil, nil, nil, nil), apitest.As(apitest.Caller()))
	ctx := context.Background()
	err := apitest.NoStore(t, func() error {
		_, err := h.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID, DeviceId: "phone\u202E"}))
		return err
	})
	apitest.WantError(t, err, connect.CodeInvalidArgument, "device_id")
	err = apitest.NoStore(t, func() error {
		_, err := h.ReportPlayback(ctx, connect.NewRequest(event(func(e *playbackv1.PlaybackEvent) { e.DeviceId = "\u2066car" })))
		return err
	})
	apitest.WantError(t, err, connect.CodeInvalidArgument, "events[0].device_id")
}
