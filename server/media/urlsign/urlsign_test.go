package urlsign

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestStreamTokens(t *testing.T) {
	now := time.Unix(1_800_000_000+10, 0) // just after a bucket boundary
	clock := func() time.Time { return now }
	s, err := New(bytes.Repeat([]byte{7}, 32), "https://cdn.example/", time.Hour, 10*time.Minute, clock)
	if err != nil {
		t.Fatal(err)
	}
	urls := s.PlaybackURLs("track1", "media1", "user1")
	if !strings.HasPrefix(urls.HLS, "https://cdn.example/media/s/") || !strings.HasSuffix(urls.HLS, "/track1/media1/master.m3u8") {
		t.Fatalf("HLS URL %q", urls.HLS)
	}
	if urls.Expire.Before(now.Add(time.Hour)) || urls.Expire.After(now.Add(time.Hour+Bucket)) || urls.Expire.Unix()%int64(Bucket/time.Second) != 0 {
		t.Fatalf("expiry %v: want the first bucket boundary after now+ttl", urls.Expire)
	}
	now = now.Add(2 * time.Minute)
	if again := s.PlaybackURLs("track1", "media1", "user1"); again.HLS != urls.HLS {
		t.Errorf("URLs within one bucket differ, so a CDN cannot cache them: %q vs %q", again.HLS, urls.HLS)
	}
	token := strings.Split(strings.TrimPrefix(urls.HLS, "https://cdn.example/media/s/"), "/")[0]

	if user, err := s.CheckStream(token, "track1", "media1"); err != nil || user != "user1" {
		t.Fatalf("CheckStream = %q, %v; want user1", user, err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32), "https://cdn.example", time.Hour, time.Minute, clock)
	forged := other.StreamToken("track1", "media1", "user1", urls.Expire)
	e, rest, _ := strings.Cut(token, ".")
	_, sig, _ := strings.Cut(rest, ".")
	for name, tc := range map[string]struct{ token, track, media string }{
		"other key":         {forged, "track1", "media1"},
		"other track":       {token, "track2", "media1"},
		"other media":       {token, "track1", "media2"},
		"other user":        {e + ".user2." + sig, "track1", "media1"},
		"later expiry":      {"9999999999.user1." + sig, "track1", "media1"},
		"garbage":           {"nonsense", "track1", "media1"},
		"missing signature": {e + ".user1", "track1", "media1"},
	} {
		if _, err := s.CheckStream(tc.token, tc.track, tc.media); !errors.Is(err, ErrBad) {
			t.Errorf("%s: err = %v, want ErrBad", name, err)
		}
	}
	now = urls.Expire
	if _, err := s.CheckStream(token, "track1", "media1"); !errors.Is(err, ErrExpired) {
		t.Errorf("at expiry: err = %v, want ErrExpired", err)
	}
}

func TestUploadURL(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s, _ := New(bytes.Repeat([]byte{1}, 40), "http://h:1", time.Hour, 10*time.Minute, func() time.Time { return now })
	raw, exp := s.UploadURL("t", "u", "me")
	if !exp.Equal(now.Add(10 * time.Minute)) {
		t.Errorf("expire %v", exp)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Path != "/media/upload/t/u" {
		t.Fatalf("upload URL %q", raw)
	}
	q := u.Query()
	if err := s.CheckUpload("t", "u", q.Get("user"), q.Get("exp"), q.Get("sig")); err != nil {
		t.Fatalf("CheckUpload: %v", err)
	}
	if err := s.CheckUpload("t", "other", q.Get("user"), q.Get("exp"), q.Get("sig")); !errors.Is(err, ErrBad) {
		t.Errorf("other upload id: %v", err)
	}
	if err := s.CheckUpload("t", "u", "someone", q.Get("exp"), q.Get("sig")); !errors.Is(err, ErrBad) {
		t.Errorf("other user: %v", err)
	}
	now = exp
	if err := s.CheckUpload("t", "u", q.Get("user"), q.Get("exp"), q.Get("sig")); !errors.Is(err, ErrExpired) {
		t.Errorf("expired: %v", err)
	}
	if _, err := New([]byte("short"), "", time.Hour, time.Hour, nil); err == nil {
		t.Error("a short key was accepted")
	}
}
