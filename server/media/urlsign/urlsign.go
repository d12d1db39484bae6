// Package urlsign signs and checks media URLs the way CDN tokens work: an
// HMAC over the path, an expiry and the user, so the media handler (or an
// edge in front of it) can authorize a request without a database.
//
// Streaming URLs carry the token as a path segment,
//
//	/media/s/<expiry>.<user>.<mac>/<track>/<media>/master.m3u8
//
// and the MAC covers the directory "/<track>/<media>/", not one file: HLS
// and DASH players resolve the playlists' relative segment URIs against
// the manifest URL, so every segment inherits the token. Expiries are
// rounded up to a bucket so that repeated plays by one user produce the same
// URLs, which a CDN can then serve from cache.
package urlsign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

var (
	ErrExpired = errors.New("urlsign: the link has expired")
	ErrBad     = errors.New("urlsign: the link's signature does not match")
)

// Bucket is the granularity of streaming URL expiries.
const Bucket = 5 * time.Minute

type Signer struct {
	key       []byte
	base      string
	streamTTL time.Duration
	uploadTTL time.Duration
	now       func() time.Time
}

// New signs URLs under base (the server's public URL) with key (at least 32
// bytes, shared by every replica).
func New(key []byte, base string, streamTTL, uploadTTL time.Duration, now func() time.Time) (*Signer, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("urlsign: key is %d bytes; want at least 32", len(key))
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{key: key, base: strings.TrimSuffix(base, "/"), streamTTL: streamTTL, uploadTTL: uploadTTL, now: now}, nil
}

var (
	_ domain.MediaSigner  = (*Signer)(nil)
	_ domain.SourceSigner = (*Signer)(nil)
)

func (s *Signer) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(strings.Join(parts, "\n")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// UploadURL implements domain.MediaSigner.
func (s *Signer) UploadURL(trackID, uploadID, userID string) (string, time.Time) {
	exp := s.now().Add(s.uploadTTL).Truncate(time.Second)
	e := strconv.FormatInt(exp.Unix(), 10)
	sig := s.mac("PUT", trackID, uploadID, e, userID)
	return fmt.Sprintf("%s/media/upload/%s/%s?user=%s&exp=%s&sig=%s", s.base, trackID, uploadID, userID, e, sig), exp
}

// CheckUpload verifies an upload URL's query values for the path's track
// and upload.
func (s *Signer) CheckUpload(trackID, uploadID, userID, exp, sig string) error {
	return s.check(exp, sig, s.mac("PUT", trackID, uploadID, exp, userID))
}

// PlaybackURLs implements domain.MediaSigner.
func (s *Signer) PlaybackURLs(trackID, mediaID, userID string) domain.MediaURLs {
	exp := s.now().Add(s.streamTTL + Bucket - 1).Truncate(Bucket)
	token := s.StreamToken(trackID, mediaID, userID, exp)
	dir := fmt.Sprintf("%s/media/s/%s/%s/%s/", s.base, token, trackID, mediaID)
	return domain.MediaURLs{HLS: dir + "master.m3u8", DASH: dir + "manifest.mpd", Progressive: dir + "progressive.m4a", Expire: exp}
}

// SourceURL implements domain.SourceSigner: the upload's original file at
// /media/o/<token>/<track>/<upload>/original.<ext>, or its on-the-fly
// transcode at /media/l/<token>/<track>/<upload>/live.mp3 when src.Ext is
// empty. The token's MAC is a different one from a media set's, so a URL
// for the ladder never opens the (possibly lossless) upload it came from.
func (s *Signer) SourceURL(trackID string, src *domain.Source, userID string) (string, time.Time) {
	exp := s.now().Add(s.streamTTL + Bucket - 1).Truncate(Bucket)
	token := s.SourceToken(trackID, src.UploadID, userID, exp)
	if src.Ext == "" {
		return fmt.Sprintf("%s/media/l/%s/%s/%s/live.mp3", s.base, token, trackID, src.UploadID), exp
	}
	return fmt.Sprintf("%s/media/o/%s/%s/%s/original.%s", s.base, token, trackID, src.UploadID, src.Ext), exp
}

// SourceToken is the path segment authorizing userID to read one upload
// (as it is, or transcoded on the fly) until exp.
func (s *Signer) SourceToken(trackID, uploadID, userID string, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	return e + "." + userID + "." + s.mac("SRC", trackID, uploadID, e, userID)
}

// CheckSource verifies a source token for the track's upload and returns
// the user it was issued to.
func (s *Signer) CheckSource(token, trackID, uploadID string) (userID string, err error) {
	return s.checkToken("SRC", token, trackID, uploadID)
}

// StreamToken is the path segment authorizing userID to read one media set
// until exp.
func (s *Signer) StreamToken(trackID, mediaID, userID string, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	return e + "." + userID + "." + s.mac("GET", trackID, mediaID, e, userID)
}

// CheckStream verifies a token for the track's media set and returns the
// user it was issued to.
func (s *Signer) CheckStream(token, trackID, mediaID string) (userID string, err error) {
	return s.checkToken("GET", token, trackID, mediaID)
}

func (s *Signer) checkToken(kind, token, trackID, mediaID string) (userID string, err error) {
	e, rest, ok := strings.Cut(token, ".")
	if !ok {
		return "", ErrBad
	}
	user, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return "", ErrBad
	}
	if err := s.check(e, sig, s.mac(kind, trackID, mediaID, e, user)); err != nil {
		return "", err
	}
	return user, nil
}

// check compares MACs first, so an attacker learns nothing from which
// check failed, then the expiry.
func (s *Signer) check(exp, got, want string) error {
	if !hmac.Equal([]byte(got), []byte(want)) {
		return ErrBad
	}
	sec, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return ErrBad
	}
	if !s.now().Before(time.Unix(sec, 0)) {
		return ErrExpired
	}
	return nil
}
