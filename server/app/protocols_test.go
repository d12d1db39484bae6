package app_test

import (
	"testing"

	"connectrpc.com/connect"

	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestProtocols drives a listener's everyday calls over the demo catalog in
// every protocol a client may speak, with the generated clients. The demo
// audio needs ffmpeg, which this server is not given, so playback stops at
// "no audio yet"; server/e2e plays real media.
func TestProtocols(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, func(c *app.Config) {
		c.Demo = true
		c.Media.FFmpeg = "backbeat-test-no-ffmpeg"
	})
	for _, p := range apptest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			hc := p.HTTP()
			res, err := apptest.NewAPI(hc, s.URL(), "", p.Opts...).Users.Login(apptest.Context(t), connect.NewRequest(&userv1.LoginRequest{Login: "demo", Password: "backbeat-demo"}))
			apptest.MustOK(t, "Login", err)
			c := apptest.NewAPI(hc, s.URL(), res.Msg.Tokens.AccessToken, p.Opts...)
			listenerJourney(t, c)
			apptest.LibraryJourney(t, c)
		})
	}
}

// listenerJourney drives apptest.ListenerJourney through c and then, with
// no audio made, checks the Demo Mix cannot start.
func listenerJourney(t *testing.T, c apptest.API) {
	mix := apptest.ListenerJourney(t, c)

	// Without its audio a track cannot start: the answer says so.
	_, err := c.Playback.StartPlayback(apptest.Context(t), connect.NewRequest(&playbackv1.StartPlaybackRequest{
		Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_PlaylistId{PlaylistId: mix}}}))
	apptest.WantCode(t, err, connect.CodeFailedPrecondition)
}
