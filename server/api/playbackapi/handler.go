// Package playbackapi serves backbeat.playback.v1.PlaybackService. Playback
// needs media (uploads, transcoding, signed URLs) that does not exist yet, so
// every method answers Unimplemented with a message saying so; the media work
// replaces these methods.
package playbackapi

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/playback/v1/playbackv1connect"
)

// Handler implements playbackv1connect.PlaybackServiceHandler. It is a plain
// type rather than the generated Unimplemented one so the compiler, not a
// silent fallback, reports a method the media work forgets.
type Handler struct{}

var _ playbackv1connect.PlaybackServiceHandler = (*Handler)(nil)

func New() *Handler { return &Handler{} }

func notYet() error {
	return connect.NewError(connect.CodeUnimplemented, errors.New("playback is not available yet: media support is coming"))
}

func (*Handler) StartPlayback(context.Context, *connect.Request[playbackv1.StartPlaybackRequest]) (*connect.Response[playbackv1.StartPlaybackResponse], error) {
	return nil, notYet()
}

func (*Handler) ReportPlayback(context.Context, *connect.Request[playbackv1.ReportPlaybackRequest]) (*connect.Response[playbackv1.ReportPlaybackResponse], error) {
	return nil, notYet()
}

func (*Handler) ListRecentlyPlayed(context.Context, *connect.Request[playbackv1.ListRecentlyPlayedRequest]) (*connect.Response[playbackv1.ListRecentlyPlayedResponse], error) {
	return nil, notYet()
}
