package opensearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/search"
)

// Kind is what a document stands for.
type Kind string

const (
	KindArtist   Kind = "artist"
	KindAlbum    Kind = "album"
	KindTrack    Kind = "track"
	KindPlaylist Kind = "playlist"
)

// Kinds lists every kind in the order results are grouped.
var Kinds = []Kind{KindArtist, KindAlbum, KindTrack, KindPlaylist}

func (k Kind) valid() bool {
	switch k {
	case KindArtist, KindAlbum, KindTrack, KindPlaylist:
		return true
	}
	return false
}

// Doc is one searchable entity: Name is its own name or title; Artists
// are the names it is also found by (an album's or track's artists, a
// playlist's owner), ranked lower. Only public playlists are indexed:
// the caller decides which.
type Doc struct {
	Kind       Kind
	ID         string
	Name       string
	Artists    []string
	Popularity int64
	// Version, when above 0, orders the writes of a document: OpenSearch
	// keeps the write with the highest version and ignores an older one
	// (external_gte versioning), so a stale write arriving late loses.
	Version int64
}

// Ref names a document; Version orders its delete as Doc.Version does.
type Ref struct {
	Kind    Kind
	ID      string
	Version int64
}

// action is a bulk action's metadata line.
func action(op string, k Kind, id string, version int64) map[string]any {
	meta := map[string]any{"_id": docID(k, id)}
	if version > 0 {
		meta["version"], meta["version_type"] = version, "external_gte"
	}
	return map[string]any{op: meta}
}

// docID is the document's id in the index: ids are unique per kind only.
func docID(k Kind, id string) string { return string(k) + ":" + id }

// source is a document as stored: folded texts (see the package comment).
type source struct {
	Kind       Kind     `json:"kind"`
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Artists    []string `json:"artists,omitempty"`
	Popularity int64    `json:"popularity"`
	// Version is Doc.Version again, searchable (the bulk metadata's is
	// not), so a rebuild can delete what it did not write.
	Version int64 `json:"version,omitempty"`
}

// Upsert indexes docs, replacing documents of the same kind and id, in one
// bulk request. A partial failure fails the call.
func (e *Engine) Upsert(ctx context.Context, docs []Doc) (err error) {
	defer derrors.Wrap(&err, "Upsert(%d docs)", len(docs))
	if len(docs) == 0 {
		return nil
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, d := range docs {
		if !d.Kind.valid() || d.ID == "" {
			return fmt.Errorf("document %q of kind %q: a known kind and an id are required", d.ID, d.Kind)
		}
		src := source{Kind: d.Kind, ID: d.ID, Name: search.Fold(d.Name), Popularity: d.Popularity, Version: d.Version}
		for _, a := range d.Artists {
			if f := search.Fold(a); f != "" {
				src.Artists = append(src.Artists, f)
			}
		}
		if err := enc.Encode(action("index", d.Kind, d.ID, d.Version)); err != nil {
			return err
		}
		if err := enc.Encode(src); err != nil {
			return err
		}
	}
	return e.bulk(ctx, &body)
}

// Delete removes the documents, ignoring those not indexed.
func (e *Engine) Delete(ctx context.Context, refs []Ref) (err error) {
	defer derrors.Wrap(&err, "Delete(%d docs)", len(refs))
	if len(refs) == 0 {
		return nil
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, r := range refs {
		if err := enc.Encode(action("delete", r.Kind, r.ID, r.Version)); err != nil {
			return err
		}
	}
	return e.bulk(ctx, &body)
}

func (e *Engine) bulk(ctx context.Context, body *bytes.Buffer) error {
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	resp, err := e.api.Bulk(ctx, opensearchapi.BulkReq{Index: e.index, Body: body})
	if resp == nil || len(resp.Items) == 0 {
		return classify(err)
	}
	// The client reports item failures only as the first of them, and
	// counts a delete of a missing document (a 404 item) as one, which it
	// is not here: the items are checked instead. A version conflict (409)
	// means a newer write of the document is already in: the stale one is
	// meant to lose, so it is no failure either.
	var errs []error
	for _, item := range resp.Items {
		for op, r := range item {
			if r.Status >= 300 && !(op == "delete" && r.Status == 404) && r.Status != 409 {
				reason := ""
				if r.Error != nil {
					reason = r.Error.Type + ": " + r.Error.Reason
				}
				errs = append(errs, fmt.Errorf("%s %s: status %d: %s", op, r.ID, r.Status, reason))
			}
		}
	}
	return errors.Join(errs...)
}
