// Package source keeps track of a track's newest stored upload and how
// it plays before its ladder is ready: as it is (a format browsers and the
// SDK players play) or transcoded on the fly. The upload handler records
// it, StartPlayback finds it (domain.MediaSources), and the media handler
// serves it with the content type recorded here.
package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/blobkey"
)

// Store records and finds sources in blob storage.
type Store struct {
	blobs blob.Store
}

func New(blobs blob.Store) *Store { return &Store{blobs: blobs} }

var _ domain.MediaSources = (*Store)(nil)

// sniffBytes is how much of an upload Record reads to tell its format.
const sniffBytes = 64 << 10

// Record notes a just-stored upload as its track's newest, unless a newer
// one is recorded (ids sort by time). It reads the start of the file to
// tell how it plays.
func (s *Store) Record(ctx context.Context, trackID, uploadID, userID string) (_ *domain.Source, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("source: record %s/%s: %w", trackID, uploadID, err)
		}
	}()
	obj, err := s.blobs.Open(ctx, blobkey.Upload(trackID, uploadID))
	if err != nil {
		return nil, err
	}
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(obj, head)
	obj.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	src := &domain.Source{UploadID: uploadID, UserID: userID, Ext: Sniff(head[:n])}
	if cur, err := s.NewestSource(ctx, trackID); err == nil && cur.UploadID > uploadID {
		return src, nil
	}
	b, err := json.Marshal(record{UploadID: src.UploadID, UserID: src.UserID, Ext: src.Ext})
	if err != nil {
		return nil, err
	}
	if _, err := s.blobs.Put(ctx, blobkey.Newest(trackID), bytes.NewReader(b)); err != nil {
		return nil, err
	}
	return src, nil
}

type record struct {
	UploadID string `json:"upload_id"`
	UserID   string `json:"user_id"`
	Ext      string `json:"ext,omitempty"`
}

// NewestSource implements domain.MediaSources.
func (s *Store) NewestSource(ctx context.Context, trackID string) (*domain.Source, error) {
	obj, err := s.blobs.Open(ctx, blobkey.Newest(trackID))
	if errors.Is(err, blob.ErrNotFound) {
		return nil, domain.NotFound("stored upload of track", trackID)
	}
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	defer obj.Close()
	var r record
	if err := json.NewDecoder(io.LimitReader(obj, 4<<10)).Decode(&r); err != nil || !domain.ValidID(r.UploadID) {
		return nil, fmt.Errorf("source: malformed record of track %s (%v)", trackID, err)
	}
	if _, ok := contentTypes[r.Ext]; r.Ext != "" && !ok {
		r.Ext = ""
	}
	return &domain.Source{UploadID: r.UploadID, UserID: r.UserID, Ext: r.Ext}, nil
}
