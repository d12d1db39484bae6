// Package mediahttp serves media over plain HTTP: the pre-signed upload
// endpoint artists PUT audio to, and the signed streaming URLs players and
// CDNs fetch playlists and segments from.
package mediahttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/blobkey"
	"github.com/backbeat/backbeat/server/media/urlsign"
)

// UploadReceiver decides whether an upload may be received, and is told
// when its bytes are stored.
type UploadReceiver interface {
	// AcceptUpload is asked before the body is read: KindNotFound and
	// KindFailedPrecondition refuse the upload.
	AcceptUpload(ctx context.Context, job domain.TranscodeJob) error
	UploadReceived(ctx context.Context, job domain.TranscodeJob) error
}

type Handler struct {
	blobs    blob.Store
	signer   *urlsign.Signer
	uploads  UploadReceiver
	maxBytes int64
	log      *slog.Logger
	// counted is told the media bytes served ("stream") and received
	// ("upload"); nil counts nothing.
	counted func(kind string, n int64)
	early   *earlyPlay // nil: uploads play only once transcoded
}

// CountBytes has f told of every response's media bytes (kind "stream")
// and every upload body's (kind "upload"), for metrics. Call it before
// serving.
func (h *Handler) CountBytes(f func(kind string, n int64)) { h.counted = f }

// count tells counted of n bytes.
func (h *Handler) count(kind string, n int64) {
	if h.counted != nil {
		h.counted(kind, n)
	}
}

// countingWriter counts the body bytes written through it.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func New(blobs blob.Store, signer *urlsign.Signer, uploads UploadReceiver, maxBytes int64, log *slog.Logger) *Handler {
	return &Handler{blobs: blobs, signer: signer, uploads: uploads, maxBytes: maxBytes, log: log}
}

// uploadPath is where pre-signed upload PUTs arrive (urlsign builds the
// URLs).
const uploadPath = "/media/upload/"

// streamPrefix starts every streaming URL's path; the token follows.
const streamPrefix = "/media/s/"

// IsUpload reports whether r is a pre-signed upload PUT: the one request
// whose body may exceed the RPC size cap (the handler has its own limit).
func IsUpload(r *http.Request) bool {
	return r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, uploadPath)
}

// Register mounts the handler's routes on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("PUT "+uploadPath+"{track}/{upload}", h.upload)
	mux.HandleFunc("GET "+streamPrefix+"{token}/{track}/{media}/{file}", h.stream)
	if h.early != nil {
		mux.HandleFunc("GET /media/o/{token}/{track}/{upload}/{file}", h.original)
		mux.HandleFunc("GET /media/l/{token}/{track}/{upload}/live.mp3", h.live)
	}
}

// upload stores the body of a PUT to a signed upload URL. Each URL is good
// for one upload: once its file is stored (or the track plays it, or a
// newer upload), another PUT to it is 409 and changes nothing. A body that
// stops short (the client went away) is the client's failure: 400, logged
// as a warning, and nothing is stored.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	track, upload := r.PathValue("track"), r.PathValue("upload")
	q := r.URL.Query()
	user := q.Get("user")
	if !domain.ValidID(track) || !domain.ValidID(upload) {
		httpError(w, http.StatusNotFound, "no such upload")
		return
	}
	if err := h.signer.CheckUpload(track, upload, user, q.Get("exp"), q.Get("sig")); err != nil {
		httpError(w, http.StatusForbidden, signError(err))
		return
	}
	if r.ContentLength > h.maxBytes {
		httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the file is %d bytes; uploads are limited to %d bytes", r.ContentLength, h.maxBytes))
		return
	}
	job := domain.TranscodeJob{TrackID: track, UploadID: upload, UserID: user}
	log := h.log.With("track_id", track, "upload_id", upload)
	if !h.acceptUpload(w, r, log, job) {
		return
	}
	body := &clientBody{r: http.MaxBytesReader(w, r.Body, h.maxBytes)}
	defer func() { h.count("upload", body.n) }()
	n, err := h.blobs.Put(r.Context(), blobkey.Upload(track, upload), body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("uploads are limited to %d bytes", h.maxBytes))
		return
	case err != nil && (body.err != nil || r.Context().Err() != nil):
		log.Warn("upload interrupted by the client", "bytes", body.n, "err", err)
		httpError(w, http.StatusBadRequest, "the upload ended before the whole file arrived; please retry")
		return
	case err != nil:
		log.Error("store upload", "err", err)
		httpError(w, http.StatusInternalServerError, "could not store the upload; please retry")
		return
	case n == 0:
		httpError(w, http.StatusBadRequest, "the upload is empty")
		return
	}
	if h.early != nil {
		// Without the record the upload still plays once transcoded.
		if _, err := h.early.Sources.Record(r.Context(), track, upload, user); err != nil {
			log.Error("record upload for early play", "err", err)
		}
	}
	if err := h.uploads.UploadReceived(r.Context(), job); err != nil {
		switch domain.KindOf(err) {
		case domain.KindNotFound:
			httpError(w, http.StatusNotFound, "the track no longer exists")
		case domain.KindFailedPrecondition:
			httpError(w, http.StatusConflict, publicMessage(err))
		default:
			// The file goes, so the PUT the client is asked to retry is
			// not refused as a second use of the URL.
			if derr := h.blobs.DeletePrefix(context.WithoutCancel(r.Context()), blobkey.Upload(track, upload)); derr != nil {
				log.Error("remove unqueued upload", "err", derr)
			}
			log.Error("queue upload", "err", err)
			retryAfter(w, err)
			httpError(w, http.StatusServiceUnavailable, "the upload could not be queued; please retry the PUT")
		}
		return
	}
	log.Info("upload received", "bytes", n)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"track_id": track, "upload_id": upload, "bytes": n, "status": "processing"})
}

// acceptUpload refuses, before the body is read, an upload whose URL was
// used already (its file is stored) or that the domain refuses. It answers
// the request itself when it returns false.
func (h *Handler) acceptUpload(w http.ResponseWriter, r *http.Request, log *slog.Logger, job domain.TranscodeJob) bool {
	obj, err := h.blobs.Open(r.Context(), blobkey.Upload(job.TrackID, job.UploadID))
	switch {
	case err == nil:
		obj.Close()
		httpError(w, http.StatusConflict, "this upload URL was already used; ask for a new one to upload another file")
		return false
	case !errors.Is(err, blob.ErrNotFound):
		log.Error("check upload", "err", err)
		retryAfter(w, err)
		httpError(w, http.StatusServiceUnavailable, "media storage is unavailable; please retry")
		return false
	}
	err = h.uploads.AcceptUpload(r.Context(), job)
	if err == nil {
		return true
	}
	switch domain.KindOf(err) {
	case domain.KindNotFound:
		httpError(w, http.StatusNotFound, "the track no longer exists")
	case domain.KindFailedPrecondition:
		httpError(w, http.StatusConflict, publicMessage(err))
	default:
		log.Error("check upload", "err", err)
		httpError(w, http.StatusServiceUnavailable, "the upload cannot be checked now; please retry")
	}
	return false
}

// publicMessage is a domain error's own message, without the operation
// names wrapped around it.
func publicMessage(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Msg
	}
	return "the upload was refused"
}

// clientBody remembers how a request body's reads failed, so a body that
// stops short (the client's doing) is told apart from a store that fails.
type clientBody struct {
	r   io.Reader
	n   int64
	err error
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	var tooBig *http.MaxBytesError
	if err != nil && err != io.EOF && !errors.As(err, &tooBig) {
		b.err = err
	}
	return n, err
}

// fileName is what the transcoder writes: names, never paths.
var fileName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]*$`)

// Content types by extension: what HLS, DASH and progressive players expect.
var contentTypes = map[string]string{
	".m3u8": "application/vnd.apple.mpegurl",
	".mpd":  "application/dash+xml",
	".m4s":  "audio/mp4",
	".m4a":  "audio/mp4",
}

func (h *Handler) stream(w http.ResponseWriter, r *http.Request) {
	token, track, media, file := r.PathValue("token"), r.PathValue("track"), r.PathValue("media"), r.PathValue("file")
	if _, err := h.signer.CheckStream(token, track, media); err != nil {
		httpError(w, http.StatusForbidden, signError(err))
		return
	}
	ctype, ok := contentTypes[path.Ext(file)]
	if !ok || !fileName.MatchString(file) {
		httpError(w, http.StatusNotFound, "no such media file")
		return
	}
	obj, err := h.blobs.Open(r.Context(), blobkey.MediaPrefix(track, media)+file)
	if errors.Is(err, blob.ErrNotFound) {
		httpError(w, http.StatusNotFound, "no such media file")
		return
	}
	if err != nil {
		h.log.Error("open media", "track_id", track, "media_id", media, "file", file, "err", err)
		retryAfter(w, err)
		httpError(w, http.StatusServiceUnavailable, "media storage is unavailable")
		return
	}
	defer obj.Close()
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	// A media set never changes once written (a new upload gets a new media
	// id), so every file of it is immutable: CDNs and browsers may keep it.
	// The token in the path is what a CDN checks at the edge.
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("ETag", `"`+media+"-"+strconv.FormatInt(obj.Size(), 36)+"-"+file+`"`)
	cw := &countingWriter{ResponseWriter: w}
	http.ServeContent(cw, r, file, obj.ModTime(), obj)
	h.count("stream", cw.n)
}

// retryAfter sets Retry-After when err says when to retry (a dependency's
// circuit breaker is open).
func retryAfter(w http.ResponseWriter, err error) {
	var de *domain.Error
	if errors.As(err, &de) && de.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(de.RetryAfter.Seconds()))))
	}
}

// LogPath is path with a streaming URL's token replaced, for logs: the
// token is a signature that lets whoever holds it play the media.
func LogPath(path string) string {
	rest, ok := strings.CutPrefix(path, streamPrefix)
	if !ok {
		return path
	}
	if _, after, ok := strings.Cut(rest, "/"); ok {
		return streamPrefix + "REDACTED/" + after
	}
	return streamPrefix + "REDACTED"
}

func signError(err error) string {
	if errors.Is(err, urlsign.ErrExpired) {
		return "this media link has expired; ask for a new one"
	}
	return "this media link is not valid"
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}
