package urlsign

import (
	"bytes"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func fuzzSigner(t testing.TB) *Signer {
	now := time.Unix(1_800_000_000, 0)
	s, err := New(bytes.Repeat([]byte{7}, 32), "https://cdn.example", time.Hour, time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzCheckStream feeds CheckStream arbitrary tokens and paths, as anyone
// may request them: it never panics, fails only with ErrBad or ErrExpired,
// and accepts exactly the tokens StreamToken makes for that media set.
func FuzzCheckStream(f *testing.F) {
	s := fuzzSigner(f)
	exp := time.Unix(1_800_003_600, 0)
	f.Add(s.StreamToken("track1", "media1", "user1", exp), "track1", "media1")
	f.Add(s.StreamToken("track1", "media1", "user1", time.Unix(1_700_000_000, 0)), "track1", "media1")
	f.Add("+1800003600.user1.AAAA", "track1", "media1")
	f.Add("1800003600..", "", "")
	f.Add("99999999999999999999.u.x", "t", "m")
	f.Fuzz(func(t *testing.T, token, track, media string) {
		user, err := s.CheckStream(token, track, media)
		if err != nil {
			if !errors.Is(err, ErrBad) && !errors.Is(err, ErrExpired) {
				t.Fatalf("CheckStream(%q) = %v", token, err)
			}
			return
		}
		e, _, _ := strings.Cut(token, ".")
		sec, perr := strconv.ParseInt(e, 10, 64)
		if perr != nil || s.StreamToken(track, media, user, time.Unix(sec, 0)) != token {
			t.Fatalf("CheckStream accepted %q for %q/%q (user %q), a token the signer did not make", token, track, media, user)
		}
	})
}

// FuzzCheckUpload does the same for upload URLs' parts: only the query
// values UploadURL made for that track, upload and user are accepted (the
// clock is fixed, so UploadURL makes one expiry).
func FuzzCheckUpload(f *testing.F) {
	s := fuzzSigner(f)
	raw, _ := s.UploadURL("track1", "upload1", "user1")
	u, err := url.Parse(raw)
	if err != nil {
		f.Fatal(err)
	}
	q := u.Query()
	f.Add("track1", "upload1", q.Get("user"), q.Get("exp"), q.Get("sig"))
	f.Add("track1", "upload1", "user1", "+"+q.Get("exp"), q.Get("sig"))
	f.Add("track1\nupload1", "", "user1", q.Get("exp"), q.Get("sig"))
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, track, upload, user, exp, sig string) {
		err := s.CheckUpload(track, upload, user, exp, sig)
		if err != nil {
			if !errors.Is(err, ErrBad) && !errors.Is(err, ErrExpired) {
				t.Fatalf("CheckUpload = %v", err)
			}
			return
		}
		if want, _ := s.UploadURL(track, upload, user); !strings.Contains(want, "&exp="+exp+"&sig="+sig) {
			t.Fatalf("CheckUpload accepted exp %q sig %q; UploadURL makes %q", exp, sig, want)
		}
	})
}
