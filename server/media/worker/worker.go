// Package worker runs the media pipeline's queued jobs. A transcode job
// fetches the upload from blob storage, runs the transcoder, stores the
// ladder next to it and tells the domain the track is ready (or why it
// failed); a cleanup job removes media nothing plays any more.
package worker

import (
	"context"
	"errors"
	"fmt"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/blobkey"
	"github.com/backbeat/backbeat/server/media/transcode"
	"github.com/backbeat/backbeat/server/queue"
)

// tracerName names the worker's spans.
const tracerName = "github.com/backbeat/backbeat/server/media/worker"

type Worker struct {
	attempts int
	blobs    blob.Store
	media    *domain.Media
	tc       *transcode.Transcoder
	workDir  string
	log      *slog.Logger
	// transcoded, when set, is told of each ladder made (metrics).
	transcoded func(transcode.Result)
}

// OnTranscoded has f told of every ladder the worker makes, for metrics
// (its x-realtime speed). Call it before the worker runs.
func (w *Worker) OnTranscoded(f func(transcode.Result)) { w.transcoded = f }

// New works in workDir (local scratch space: ffmpeg needs files). attempts
// is the queue's MaxDeliver.
func New(blobs blob.Store, media *domain.Media, tc *transcode.Transcoder, workDir string, attempts int, log *slog.Logger) *Worker {
	return &Worker{blobs: blobs, media: media, tc: tc, workDir: workDir, attempts: attempts, log: log}
}

// Handle runs one job; it is a queue.TranscodeHandler. A job for a deleted
// track, or for an upload that already plays, is done without work, which
// is what makes a redelivered job harmless.
func (w *Worker) Handle(ctx context.Context, job domain.TranscodeJob, attempt int, last bool) error {
	log := w.log.With("track_id", job.TrackID, "upload_id", job.UploadID, "attempt", attempt)
	need, err := w.media.NeedsTranscode(ctx, job)
	if err != nil {
		return fmt.Errorf("check job: %w", err)
	}
	if !need {
		log.Info("transcode skipped: nothing to do")
		return nil
	}
	if attempt > w.attempts {
		// The last attempt's worker died mid-job (killed, out of memory):
		// a file that takes workers down with it is not tried again.
		reason := fmt.Sprintf("processing stopped unexpectedly on each of %d attempts", w.attempts)
		log.Error("transcode abandoned", "reason", reason)
		if err := w.media.TranscodeFailed(ctx, job, reason); err != nil {
			return fmt.Errorf("record abandonment: %w", err)
		}
		return queue.Permanent(errors.New(reason))
	}
	log.Info("transcode started")
	// A child of the job's span, from the job's tracer (a no-op one when
	// tracing is off).
	tctx, span := trace.SpanFromContext(ctx).TracerProvider().Tracer(tracerName).Start(ctx, "transcode")
	res, err := w.run(tctx, job)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
	if err == nil && w.transcoded != nil {
		w.transcoded(res)
	}
	var bad *transcode.InputError
	switch {
	case errors.As(err, &bad):
		log.Warn("transcode refused the upload", "reason", bad.Reason)
		if ferr := w.media.TranscodeFailed(ctx, job, bad.Reason); ferr != nil {
			return fmt.Errorf("record refusal: %w", ferr)
		}
		return queue.Permanent(err)
	case err != nil && last:
		log.Error("transcode failed for good", "err", err)
		reason := fmt.Sprintf("transcoding failed after %d attempts", attempt)
		if ferr := w.media.TranscodeFailed(ctx, job, reason); ferr != nil {
			return fmt.Errorf("record failure: %w", ferr)
		}
		return queue.Permanent(err)
	case err != nil:
		log.Warn("transcode failed; will retry", "err", err)
		return err
	}
	if err := w.media.TranscodeReady(ctx, job, res.Duration, res.Loudness); err != nil {
		return err
	}
	log.Info("media ready", "duration", res.Duration, "took", res.Took,
		"x_realtime", fmt.Sprintf("%.1f", res.Duration.Seconds()/res.Took.Seconds()), "lufs", res.Loudness.IntegratedLUFS)
	return nil
}

// Cleanup removes the files a due cleanup job names, once the domain
// confirms they are still garbage; it is a queue.CleanupHandler. Deleting
// what is already gone is no error, so a repeated job is harmless.
func (w *Worker) Cleanup(ctx context.Context, job domain.CleanupJob) error {
	log := w.log.With("track_id", job.TrackID, "media_id", job.MediaID)
	due, err := w.media.CleanupDue(ctx, job)
	if err != nil {
		return err
	}
	if !due {
		log.Info("media cleanup skipped: the track still plays it")
		return nil
	}
	keys := blobkey.TrackPrefixes(job.TrackID)
	if job.MediaID != "" {
		keys = blobkey.UploadPrefixes(job.TrackID, job.MediaID)
	}
	for _, k := range keys {
		if err := w.blobs.DeletePrefix(ctx, k); err != nil {
			return fmt.Errorf("media cleanup: %w", err)
		}
	}
	log.Info("media removed", "whole_track", job.MediaID == "")
	return nil
}

func (w *Worker) run(ctx context.Context, job domain.TranscodeJob) (transcode.Result, error) {
	dir := filepath.Join(w.workDir, job.UploadID)
	// A crashed attempt may have left its scratch files: start clean.
	if err := os.RemoveAll(dir); err != nil {
		return transcode.Result{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return transcode.Result{}, err
	}
	defer os.RemoveAll(dir)

	in := filepath.Join(dir, "source")
	err := w.fetch(ctx, blobkey.Upload(job.TrackID, job.UploadID), in)
	if errors.Is(err, blob.ErrNotFound) {
		return transcode.Result{}, &transcode.InputError{Reason: "the uploaded file is missing; upload it again"}
	}
	if err != nil {
		return transcode.Result{}, err
	}
	out := filepath.Join(dir, "out")
	res, err := w.tc.Transcode(ctx, in, out)
	if err != nil {
		return res, err
	}
	start := time.Now()
	prefix := blobkey.MediaPrefix(job.TrackID, job.UploadID)
	// Playlists go last: a player can only find segments through them, so a
	// crash mid-copy never exposes a set with missing segments.
	files := append([]string(nil), res.Files...)
	sortManifestsLast(files)
	for _, name := range files {
		if err := w.store(ctx, prefix+name, filepath.Join(out, name)); err != nil {
			return res, err
		}
	}
	w.log.Debug("media stored", "files", len(files), "took", time.Since(start))
	return res, nil
}

func sortManifestsLast(files []string) {
	rank := func(n string) int {
		switch filepath.Ext(n) {
		case ".m3u8", ".mpd":
			if n == "master.m3u8" {
				return 3
			}
			return 2
		}
		return 1
	}
	for i := 1; i < len(files); i++ {
		for j := i; j > 0 && rank(files[j-1]) > rank(files[j]); j-- {
			files[j-1], files[j] = files[j], files[j-1]
		}
	}
}

func (w *Worker) fetch(ctx context.Context, key, dst string) error {
	obj, err := w.blobs.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("fetch upload: %w", err)
	}
	defer obj.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := f.ReadFrom(obj); err != nil {
		f.Close()
		return fmt.Errorf("fetch upload: %w", err)
	}
	return f.Close()
}

func (w *Worker) store(ctx context.Context, key, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := w.blobs.Put(ctx, key, f); err != nil {
		return fmt.Errorf("store media: %w", err)
	}
	return nil
}
