package domain

import (
	"context"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
)

// LibraryKind names what a library entry saves.
type LibraryKind string

const (
	LibraryTracks LibraryKind = "track"
	LibraryAlbums LibraryKind = "album"
)

// MaxLibraryBatch is how many ids one library call takes: a page of
// hearts to draw.
const MaxLibraryBatch = 50

// MaxLibraryScan bounds how far into a user's saved tracks the liked_songs
// playback context looks.
const MaxLibraryScan = 10_000

// SavedItem is one entry of a user's library.
type SavedItem struct {
	ID       string
	SaveTime time.Time
}

// SavedTrack and SavedAlbum are library entries with what they save.
type SavedTrack struct {
	Track    *Track
	SaveTime time.Time
}

type SavedAlbum struct {
	Album    *Album
	SaveTime time.Time
}

// LibraryStore keeps each user's saved tracks and albums. It checks no
// existence: the domain does, before saving, and hides deleted items when
// reading, so a catalog delete need not reach every library.
type LibraryStore interface {
	// SaveItems saves ids (distinct) for the user at time at; saving a saved
	// id again moves it to at. It is a blind write, idempotent.
	SaveItems(ctx context.Context, userID string, kind LibraryKind, ids []string, at time.Time) error
	// RemoveItems is idempotent.
	RemoveItems(ctx context.Context, userID string, kind LibraryKind, ids []string) error
	// AreSaved answers, for each id in order, whether it is saved.
	AreSaved(ctx context.Context, userID string, kind LibraryKind, ids []string) ([]bool, error)
	// ListSaved lists saved items, latest save first, ties by id descending.
	ListSaved(ctx context.Context, userID string, kind LibraryKind, p Page) ([]SavedItem, string, error)
}

// Library is a signed-in user's own library.
type Library struct {
	stores Stores
	now    func() time.Time
}

// NewLibrary uses now as the clock (time.Now when nil).
func NewLibrary(stores Stores, now func() time.Time) *Library {
	if now == nil {
		now = time.Now
	}
	return &Library{stores: stores, now: now}
}

func signedIn(p Principal) error {
	if p.UserID == "" {
		return Unauthenticated("sign in to use your library")
	}
	return nil
}

// Save saves ids for p; an id of nothing is KindNotFound and nothing is saved.
func (l *Library) Save(ctx context.Context, p Principal, kind LibraryKind, ids []string) (err error) {
	defer derrors.Wrap(&err, "Library.Save(%s, %d)", kind, len(ids))
	if err := signedIn(p); err != nil {
		return err
	}
	found, err := l.existing(ctx, kind, ids)
	if err != nil {
		return err
	}
	for i, id := range ids {
		if !found[i] {
			return NotFound(string(kind), id)
		}
	}
	return l.stores.Library.SaveItems(ctx, p.UserID, kind, ids, l.now())
}

func (l *Library) Remove(ctx context.Context, p Principal, kind LibraryKind, ids []string) (err error) {
	defer derrors.Wrap(&err, "Library.Remove(%s, %d)", kind, len(ids))
	if err := signedIn(p); err != nil {
		return err
	}
	return l.stores.Library.RemoveItems(ctx, p.UserID, kind, ids)
}

// AreSaved answers for each id; a deleted item is not saved.
func (l *Library) AreSaved(ctx context.Context, p Principal, kind LibraryKind, ids []string) (_ []bool, err error) {
	defer derrors.Wrap(&err, "Library.AreSaved(%s, %d)", kind, len(ids))
	if err := signedIn(p); err != nil {
		return nil, err
	}
	saved, err := l.stores.Library.AreSaved(ctx, p.UserID, kind, ids)
	if err != nil {
		return nil, err
	}
	var check []string
	for i, s := range saved {
		if s {
			check = append(check, ids[i])
		}
	}
	if len(check) == 0 {
		return saved, nil
	}
	found, err := l.existing(ctx, kind, check)
	if err != nil {
		return nil, err
	}
	j := 0
	for i, s := range saved {
		if s {
			saved[i] = found[j]
			j++
		}
	}
	return saved, nil
}

// existing reports, per id, whether the track or album exists.
func (l *Library) existing(ctx context.Context, kind LibraryKind, ids []string) ([]bool, error) {
	found := make([]bool, len(ids))
	if kind == LibraryTracks {
		ts, err := l.stores.Catalog.BatchGetTracks(ctx, ids)
		if err != nil {
			return nil, err
		}
		have := make(map[string]bool, len(ts))
		for _, t := range ts {
			have[t.ID] = true
		}
		for i, id := range ids {
			found[i] = have[id]
		}
		return found, nil
	}
	for i, id := range ids {
		_, err := l.stores.Catalog.GetAlbum(ctx, id)
		if err != nil && KindOf(err) != KindNotFound {
			return nil, err
		}
		found[i] = err == nil
	}
	return found, nil
}

// SavedTracks lists p's saved tracks, latest first, leaving out deleted
// ones (a page may then be short).
func (l *Library) SavedTracks(ctx context.Context, p Principal, pg Page) (_ []SavedTrack, _ string, err error) {
	defer derrors.Wrap(&err, "Library.SavedTracks")
	if err := signedIn(p); err != nil {
		return nil, "", err
	}
	return savedTracks(ctx, l.stores, p.UserID, pg)
}

func savedTracks(ctx context.Context, stores Stores, userID string, pg Page) ([]SavedTrack, string, error) {
	items, next, err := stores.Library.ListSaved(ctx, userID, LibraryTracks, pg)
	if err != nil || len(items) == 0 {
		return nil, next, err
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	ts, err := stores.Catalog.BatchGetTracks(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	byID := make(map[string]*Track, len(ts))
	for _, t := range ts {
		byID[t.ID] = t
	}
	out := make([]SavedTrack, 0, len(items))
	for _, it := range items {
		if t := byID[it.ID]; t != nil {
			out = append(out, SavedTrack{Track: t, SaveTime: it.SaveTime})
		}
	}
	return out, next, nil
}

// SavedAlbums lists p's saved albums as SavedTracks does tracks.
func (l *Library) SavedAlbums(ctx context.Context, p Principal, pg Page) (_ []SavedAlbum, _ string, err error) {
	defer derrors.Wrap(&err, "Library.SavedAlbums")
	if err := signedIn(p); err != nil {
		return nil, "", err
	}
	items, next, err := l.stores.Library.ListSaved(ctx, p.UserID, LibraryAlbums, pg)
	if err != nil {
		return nil, "", err
	}
	out := make([]SavedAlbum, 0, len(items))
	for _, it := range items {
		a, err := l.stores.Catalog.GetAlbum(ctx, it.ID)
		if KindOf(err) == KindNotFound {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, SavedAlbum{Album: a, SaveTime: it.SaveTime})
	}
	return out, next, nil
}

// inLikedSongs resolves a liked_songs playback context: the track, if
// given, must be saved; else the saved track at pc.Index plays.
func (pb *Playback) inLikedSongs(ctx context.Context, p Principal, pc PlayContext, trackID string) (string, error) {
	if trackID != "" {
		saved, err := pb.stores.Library.AreSaved(ctx, p.UserID, LibraryTracks, []string{trackID})
		if err != nil {
			return "", err
		}
		if !saved[0] {
			return "", NotFound("track in liked songs", trackID)
		}
		return trackID, nil
	}
	idx := 0
	pg := Page{Size: MaxPageSize}
	for idx < MaxLibraryScan {
		items, next, err := savedTracks(ctx, pb.stores, p.UserID, pg)
		if err != nil {
			return "", err
		}
		if pc.Index < idx+len(items) {
			return items[pc.Index-idx].Track.ID, nil
		}
		idx += len(items)
		if next == "" {
			break
		}
		pg.Token = next
	}
	return "", Invalid("context_index", "liked songs has %d tracks; index %d is out of range", idx, pc.Index)
}
