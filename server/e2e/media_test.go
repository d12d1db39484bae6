package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// requireFFmpeg skips when ffmpeg is missing; the test command installs it.
func requireFFmpeg(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed (server/scripts/setup.sh installs it)")
	}
}

// makeAudio writes seconds of tagged, noise-rich stereo audio (so every
// rung of the ladder has something to spend its bits on).
func makeAudio(t testing.TB, dir, name string, seconds int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	// Uncorrelated noise per channel: stereo coding cannot save bits on it,
	// so each rung's real bitrate shows.
	noise := func(seed int) string {
		return fmt.Sprintf("anoisesrc=color=pink:amplitude=0.3:duration=%d:seed=%d", seconds, seed)
	}
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", noise(1), "-f", "lavfi", "-i", noise(2),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=330:duration=%d", seconds),
		"-filter_complex", "[0][1]amerge=inputs=2[n];[2]aformat=channel_layouts=stereo[s];[n][s]amix=inputs=2",
		"-metadata", "title=E2E Tone", "-metadata", "artist=Test Artist", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return path
}

// studio is an artist with one album and its own tracks on a server.
type studio struct {
	s      *server
	artist apptest.API // signed in as the artist
	fan    apptest.API // a listener
	fanID  string
	// fanToken is the listener's access token.
	fanToken string
	album    string
	artID    string
}

func newStudio(t testing.TB, s *server) *studio {
	t.Helper()
	ctx := apptest.Context(t)
	root := as(s, registerAdmin(t, s, "root"))
	_, art := apptest.Register(t, anon(s), "artist")
	_, err := root.Users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: art.Id, Roles: []userv1.Role{userv1.Role_ROLE_ARTIST}}))
	apptest.MustOK(t, "SetUserRoles", err)
	// Roles travel in tokens: the artist signs in again to hold the new one.
	artTok := apptest.Login(t, anon(s), "artist", "correct horse battery").Tokens.AccessToken
	fanTok, fan := apptest.Register(t, anon(s), "fan")
	st := &studio{s: s, artist: as(s, artTok), fan: as(s, fanTok), fanID: fan.Id, fanToken: fanTok}
	a, err := st.artist.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Test Artist"}}))
	apptest.MustOK(t, "CreateArtist", err)
	st.artID = a.Msg.Artist.Id
	al, err := st.artist.Catalog.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Tones", ArtistIds: []string{st.artID}}}))
	apptest.MustOK(t, "CreateAlbum", err)
	st.album = al.Msg.Album.Id
	return st
}

func (st *studio) track(t testing.TB, title string, n int32) string {
	t.Helper()
	res, err := st.artist.Catalog.CreateTrack(apptest.Context(t), connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{
		Title: title, ArtistIds: []string{st.artID}, AlbumId: st.album, TrackNumber: n, DurationMs: 1000,
	}}))
	apptest.MustOK(t, "CreateTrack", err)
	return res.Msg.Track.Id
}

// upload asks for an upload URL and PUTs the file to it, returning the
// upload id and the HTTP status of the PUT.
func (st *studio) upload(t testing.TB, trackID, file string) (uploadID string, status int, body string) {
	t.Helper()
	up, err := st.artist.Catalog.CreateTrackUpload(apptest.Context(t), connect.NewRequest(&catalogv1.CreateTrackUploadRequest{TrackId: trackID}))
	apptest.MustOK(t, "CreateTrackUpload", err)
	status, body = put(t, up.Msg.UploadUrl, file)
	return up.Msg.UploadId, status, body
}

func put(t testing.TB, rawURL, file string) (int, string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	req, _ := http.NewRequest(http.MethodPut, rawURL, f)
	req.ContentLength = st.Size()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", rawURL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// waitTrack polls the track until it leaves PROCESSING/PENDING.
func waitTrack(t testing.TB, c apptest.API, trackID string, timeout time.Duration) *catalogv1.Track {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		res, err := c.Catalog.GetTrack(apptest.Context(t), connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: trackID}))
		apptest.MustOK(t, "GetTrack", err)
		tr := res.Msg.Track
		if tr.Status == catalogv1.TrackStatus_TRACK_STATUS_READY || tr.Status == catalogv1.TrackStatus_TRACK_STATUS_FAILED {
			return tr
		}
		if time.Now().After(deadline) {
			t.Fatalf("track %s still %v after %v", trackID, tr.Status, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(t testing.TB, rawURL string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	return res, b
}

func resolve(base, ref string) string {
	b, _ := url.Parse(base)
	r, _ := url.Parse(ref)
	return b.ResolveReference(r).String()
}

type probeOut struct {
	Streams []struct {
		CodecName  string `json:"codec_name"`
		Channels   int    `json:"channels"`
		SampleRate string `json:"sample_rate"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
		BitRate  string `json:"bit_rate"`
	} `json:"format"`
}

// ffprobe inspects a file or URL with the real ffprobe.
func ffprobe(t testing.TB, in string) (codec string, channels int, dur float64, kbps float64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", in).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", in, err)
	}
	var p probeOut
	if err := json.Unmarshal(out, &p); err != nil || len(p.Streams) != 1 {
		t.Fatalf("ffprobe %s: %v (%d streams)", in, err, len(p.Streams))
	}
	dur, _ = strconv.ParseFloat(p.Format.Duration, 64)
	br, _ := strconv.ParseFloat(p.Format.BitRate, 64)
	return p.Streams[0].CodecName, p.Streams[0].Channels, dur, br / 1000
}

func near(got, want, tol float64) bool { return got >= want-tol && got <= want+tol }

// logCount counts log lines holding every one of the parts.
func logCount(logs string, parts ...string) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			n++
		}
	}
	return n
}

var _ = bytes.Equal
var _ = context.Background
