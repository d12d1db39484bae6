package playbackapi

import (
	"context"
	"testing"

	"connectrpc.com/connect"

	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
)

func TestEveryMethodIsUnimplemented(t *testing.T) {
	h := New()
	ctx := context.Background()
	_, err1 := h.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{}))
	_, err2 := h.ReportPlayback(ctx, connect.NewRequest(&playbackv1.ReportPlaybackRequest{}))
	_, err3 := h.ListRecentlyPlayed(ctx, connect.NewRequest(&playbackv1.ListRecentlyPlayedRequest{}))
	for i, err := range []error{err1, err2, err3} {
		if connect.CodeOf(err) != connect.CodeUnimplemented {
			t.Errorf("method %d: got %v, want unimplemented", i, err)
		}
	}
}
