package mediahttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/blobkey"
	"github.com/backbeat/backbeat/server/media/source"
)

// LiveTranscoder transcodes a file to a stream as it is read
// (transcode.Transcoder).
type LiveTranscoder interface {
	Live(ctx context.Context, inputPath string, w io.Writer) error
}

// EarlyPlay configures playing uploads before their ladder is ready.
type EarlyPlay struct {
	Sources *source.Store
	Live    LiveTranscoder
	// LiveContentType is what Live writes.
	LiveContentType string
	// MaxLive bounds the on-the-fly transcodes running at once; past it a
	// request is 503 with Retry-After.
	MaxLive int
	// WorkDir holds the local copies ffmpeg reads.
	WorkDir string
}

type earlyPlay struct {
	EarlyPlay
	slots chan struct{}
}

// liveRetryAfter is what a refused on-the-fly request is told to wait.
const liveRetryAfter = 5 * time.Second

// EnablePlayBeforeLadder records each upload for early play and serves
// the originals and on-the-fly transcodes StartPlayback hands out for
// tracks whose ladder is not ready. Call it before Register.
func (h *Handler) EnablePlayBeforeLadder(cfg EarlyPlay) {
	h.early = &earlyPlay{EarlyPlay: cfg, slots: make(chan struct{}, max(cfg.MaxLive, 1))}
}

// original serves an upload's file as it is, for a format browsers play:
// Range works, and the response is private and revalidated, never
// immutable (the file is deleted once a ladder plays instead).
func (h *Handler) original(w http.ResponseWriter, r *http.Request) {
	track, upload, file := r.PathValue("track"), r.PathValue("upload"), r.PathValue("file")
	if _, err := h.signer.CheckSource(r.PathValue("token"), track, upload); err != nil {
		httpError(w, http.StatusForbidden, signError(err))
		return
	}
	ext, ok := strings.CutPrefix(file, "original.")
	ctype, known := source.ContentType(ext)
	if !ok || !known {
		httpError(w, http.StatusNotFound, "no such media file")
		return
	}
	obj, ok := h.openUpload(w, r, track, upload)
	if !ok {
		return
	}
	defer obj.Close()
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Cache-Control", "private, no-cache")
	hd.Set("ETag", `"`+upload+"-"+strconv.FormatInt(obj.Size(), 36)+`"`)
	http.ServeContent(w, r, file, obj.ModTime(), obj)
}

func (h *Handler) openUpload(w http.ResponseWriter, r *http.Request, track, upload string) (blob.Object, bool) {
	obj, err := h.blobs.Open(r.Context(), blobkey.Upload(track, upload))
	if errors.Is(err, blob.ErrNotFound) {
		httpError(w, http.StatusNotFound, "this upload is gone; start the playback again")
		return nil, false
	}
	if err != nil {
		h.log.Error("open upload", "track_id", track, "upload_id", upload, "err", err)
		httpError(w, http.StatusInternalServerError, "media storage is unavailable")
		return nil, false
	}
	return obj, true
}

// live streams an upload transcoded as it is produced: no ranges (each
// request starts at the beginning), never stored by caches, and at most
// MaxLive at once.
func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	track, upload := r.PathValue("track"), r.PathValue("upload")
	if _, err := h.signer.CheckSource(r.PathValue("token"), track, upload); err != nil {
		httpError(w, http.StatusForbidden, signError(err))
		return
	}
	if !domain.ValidID(upload) {
		httpError(w, http.StatusNotFound, "no such media file")
		return
	}
	select {
	case h.early.slots <- struct{}{}:
		defer func() { <-h.early.slots }()
	default:
		w.Header().Set("Retry-After", strconv.Itoa(int(liveRetryAfter.Seconds())))
		httpError(w, http.StatusServiceUnavailable, "too many streams are being transcoded; retry shortly")
		return
	}
	log := h.log.With("track_id", track, "upload_id", upload)
	obj, ok := h.openUpload(w, r, track, upload)
	if !ok {
		return
	}
	in, err := h.localCopy(obj, upload)
	obj.Close()
	if err != nil {
		log.Error("copy upload for live transcode", "err", err)
		httpError(w, http.StatusInternalServerError, "media storage is unavailable")
		return
	}
	defer os.Remove(in)

	hd := w.Header()
	hd.Set("Content-Type", h.early.LiveContentType)
	hd.Set("Cache-Control", "no-store")
	hd.Set("Accept-Ranges", "none")
	fw := &flushWriter{w: w, rc: http.NewResponseController(w)}
	if err := h.early.Live.Live(r.Context(), in, fw); err != nil {
		if r.Context().Err() != nil {
			return // the listener left
		}
		log.Warn("live transcode", "err", err, "bytes", fw.n)
		if fw.n == 0 {
			httpError(w, http.StatusUnprocessableEntity, "this upload cannot be decoded")
		}
		return
	}
}

func (h *Handler) localCopy(obj blob.Object, upload string) (string, error) {
	if err := os.MkdirAll(h.early.WorkDir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(h.early.WorkDir, "live-"+upload+"-*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, obj)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("copy %s: %w", filepath.Base(f.Name()), err)
	}
	return f.Name(), nil
}

// flushWriter sends each write to the client at once.
type flushWriter struct {
	w  io.Writer
	rc *http.ResponseController
	n  int64
}

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.n += int64(n)
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}
