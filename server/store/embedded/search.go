package embedded

import (
	"context"
	"database/sql"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

// The search index lives in memory beside the database: built from it at
// Open, and told about every catalog write once that write has committed
// (see catalogWrite). Search asks the index for ids and loads the entities
// from the database, so hits always show the committed rows.

// Documents: an artist by its name; an album by its title, then its
// artists' names; a track by its title, then its artists' names and its
// album's title, its play count ranking it among equals; a public playlist
// by its name (a private one is never indexed, so Search cannot leak it).
func artistDoc(id, name string) search.Doc {
	return search.Doc{Kind: search.KindArtist, ID: id, Primary: name}
}

// playlistChange queues what a playlist's write does to the index.
func (ch *indexChanges) playlistChange(pl *domain.Playlist) {
	if pl.Public {
		ch.upsert(search.Doc{Kind: search.KindPlaylist, ID: pl.ID, Primary: pl.Name})
	} else {
		ch.remove(search.KindPlaylist, pl.ID)
	}
}

// indexChanges are the index updates of one write, applied after commit.
type indexChanges struct {
	upserts []search.Doc
	removes []search.Doc // only Kind and ID are used
}

func (ch *indexChanges) upsert(d search.Doc) { ch.upserts = append(ch.upserts, d) }

func (ch *indexChanges) remove(kind search.Kind, id string) {
	ch.removes = append(ch.removes, search.Doc{Kind: kind, ID: id})
}

func (ch *indexChanges) apply(ix *search.Index) {
	for _, d := range ch.removes {
		ix.Delete(d.Kind, d.ID)
	}
	for _, d := range ch.upserts {
		ix.Upsert(d)
	}
}

// reloadAlbums and reloadTracks queue fresh documents for the albums
// matching cond (on alias a), or the tracks (on alias t), read inside the
// write's transaction so they show what it is about to commit.
func (ch *indexChanges) reloadAlbums(ctx context.Context, tx querier, cond string, args ...any) error {
	docs, err := albumDocs(ctx, tx, cond, args...)
	ch.upserts = append(ch.upserts, docs...)
	return err
}

func (ch *indexChanges) reloadTracks(ctx context.Context, tx querier, cond string, args ...any) error {
	docs, err := trackDocs(ctx, tx, cond, args...)
	ch.upserts = append(ch.upserts, docs...)
	return err
}

// artistNames maps the ids to artist names, in one query.
func artistNames(ctx context.Context, q querier, ids map[string]bool) (map[string]string, error) {
	names := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return names, nil
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	rows, err := q.QueryContext(ctx, "SELECT id, name FROM artists WHERE id IN (SELECT value FROM json_each(?))", listCol(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		names[id] = name
	}
	return names, rows.Err()
}

// credited is a row being turned into a document, before its artists'
// names are known.
type credited struct {
	doc     search.Doc
	artists []string
	extra   string // text ranked after the artist names (album title)
}

// withArtistNames completes the documents with their artists' names,
// looked up all at once.
func withArtistNames(ctx context.Context, q querier, rows []credited) ([]search.Doc, error) {
	ids := make(map[string]bool)
	for _, r := range rows {
		for _, a := range r.artists {
			ids[a] = true
		}
	}
	names, err := artistNames(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	docs := make([]search.Doc, len(rows))
	for i, r := range rows {
		d := r.doc
		for _, a := range r.artists {
			if n, ok := names[a]; ok {
				d.Secondary = append(d.Secondary, n)
			}
		}
		if r.extra != "" {
			d.Secondary = append(d.Secondary, r.extra)
		}
		docs[i] = d
	}
	return docs, nil
}

func artistDocs(ctx context.Context, q querier) ([]search.Doc, error) {
	return scanAll(rowsOf(q.QueryContext(ctx, "SELECT id, name FROM artists")), func(sc scanner) (search.Doc, error) {
		var id, name string
		err := sc.Scan(&id, &name)
		return artistDoc(id, name), err
	})
}

func playlistDocs(ctx context.Context, q querier) ([]search.Doc, error) {
	return scanAll(rowsOf(q.QueryContext(ctx, "SELECT id, name FROM playlists WHERE public")), func(sc scanner) (search.Doc, error) {
		d := search.Doc{Kind: search.KindPlaylist}
		err := sc.Scan(&d.ID, &d.Primary)
		return d, err
	})
}

func albumDocs(ctx context.Context, q querier, cond string, args ...any) ([]search.Doc, error) {
	rows, err := scanAll(rowsOf(q.QueryContext(ctx, "SELECT a.id, a.title, a.artist_ids FROM albums a WHERE "+cond, args...)),
		func(sc scanner) (credited, error) {
			var r credited
			var artists string
			if err := sc.Scan(&r.doc.ID, &r.doc.Primary, &artists); err != nil {
				return r, err
			}
			r.doc.Kind = search.KindAlbum
			var err error
			r.artists, err = colList[string](artists)
			return r, err
		})
	if err != nil {
		return nil, err
	}
	return withArtistNames(ctx, q, rows)
}

func trackDocs(ctx context.Context, q querier, cond string, args ...any) ([]search.Doc, error) {
	rows, err := scanAll(rowsOf(q.QueryContext(ctx, `SELECT t.id, t.title, t.artist_ids, COALESCE(al.title, ''), t.play_count
		FROM tracks t LEFT JOIN albums al ON al.id = t.album_id WHERE `+cond, args...)),
		func(sc scanner) (credited, error) {
			var r credited
			var artists string
			if err := sc.Scan(&r.doc.ID, &r.doc.Primary, &artists, &r.extra, &r.doc.Popularity); err != nil {
				return r, err
			}
			r.doc.Kind = search.KindTrack
			var err error
			r.artists, err = colList[string](artists)
			return r, err
		})
	if err != nil {
		return nil, err
	}
	return withArtistNames(ctx, q, rows)
}

// buildIndex loads every document, reading from one snapshot so the index
// matches one state of the database.
func (s *Store) buildIndex(ctx context.Context) (int, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var docs []search.Doc
	artists, err := artistDocs(ctx, tx)
	if err != nil {
		return 0, err
	}
	albums, err := albumDocs(ctx, tx, "1")
	if err != nil {
		return 0, err
	}
	tracks, err := trackDocs(ctx, tx, "1")
	if err != nil {
		return 0, err
	}
	playlists, err := playlistDocs(ctx, tx)
	if err != nil {
		return 0, err
	}
	docs = append(append(append(append(docs, artists...), albums...), tracks...), playlists...)
	s.index.Build(docs)
	return len(docs), nil
}

var itemKinds = map[domain.ItemType]search.Kind{
	domain.ItemArtist:   search.KindArtist,
	domain.ItemAlbum:    search.KindAlbum,
	domain.ItemTrack:    search.KindTrack,
	domain.ItemPlaylist: search.KindPlaylist,
}

// Search pages by offset into the ranking (the token holds it): ranks move
// as the catalog changes, so there is no stable key to seek to. The depth
// is bounded by the index's own limits on broad queries.
func (c catalogStore) Search(ctx context.Context, query string, types []domain.ItemType, p domain.Page) (hits []domain.SearchHit, next string, err error) {
	defer derrors.Wrap(&err, "embedded.Search(%q)", query)
	folded := search.Fold(query)
	offset, err := pagetoken.ReadOffset(p, listSearch, folded)
	if err != nil {
		return nil, "", err
	}
	var kinds []search.Kind
	for _, t := range types {
		k, ok := itemKinds[t]
		if !ok {
			return nil, "", domain.Invalid("types", "unknown item type %q", t)
		}
		kinds = append(kinds, k)
	}
	res := c.index.Search(search.Query{Text: query, Kinds: kinds, Offset: offset, Limit: p.Size})
	if len(res.Hits) == 0 {
		return nil, "", nil
	}

	var ids [search.KindPlaylist + 1][]string
	for _, h := range res.Hits {
		ids[h.Kind] = append(ids[h.Kind], h.ID)
	}
	entities, err := c.loadHits(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	hits = make([]domain.SearchHit, 0, len(res.Hits))
	for _, h := range res.Hits {
		hit, ok := entities[docRef{h.Kind, h.ID}]
		if !ok {
			// Deleted between the index lookup and the load.
			continue
		}
		hit.Score, hit.Exact = h.Score, h.Exact
		hits = append(hits, hit)
	}
	if offset+p.Size < res.Total {
		next = pagetoken.OffsetToken(listSearch, folded, offset+p.Size)
	}
	return hits, next, nil
}

type docRef struct {
	kind search.Kind
	id   string
}

// loadHits reads the entities of a page of hits, one query per kind.
func (c catalogStore) loadHits(ctx context.Context, ids [search.KindPlaylist + 1][]string) (map[docRef]domain.SearchHit, error) {
	out := make(map[docRef]domain.SearchHit)
	if len(ids[search.KindArtist]) > 0 {
		artists, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, artistsByIDs, listCol(ids[search.KindArtist]))), scanArtist)
		if err != nil {
			return nil, err
		}
		for _, a := range artists {
			out[docRef{search.KindArtist, a.ID}] = domain.SearchHit{Artist: a}
		}
	}
	if len(ids[search.KindAlbum]) > 0 {
		albums, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, albumsByIDs, listCol(ids[search.KindAlbum]))), scanAlbum)
		if err != nil {
			return nil, err
		}
		for _, a := range albums {
			out[docRef{search.KindAlbum, a.ID}] = domain.SearchHit{Album: a}
		}
	}
	if len(ids[search.KindTrack]) > 0 {
		tracks, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, tracksByIDs, listCol(ids[search.KindTrack]))), scanTrack)
		if err != nil {
			return nil, err
		}
		for _, t := range tracks {
			out[docRef{search.KindTrack, t.ID}] = domain.SearchHit{Track: t}
		}
	}
	if len(ids[search.KindPlaylist]) > 0 {
		// Public only: the index may not yet know a playlist just made private.
		pls, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+playlistCols+
			" FROM playlists p WHERE public AND id IN (SELECT value FROM json_each(?))", listCol(ids[search.KindPlaylist]))), scanPlaylist)
		if err != nil {
			return nil, err
		}
		for _, pl := range pls {
			out[docRef{search.KindPlaylist, pl.ID}] = domain.SearchHit{Playlist: pl}
		}
	}
	return out, nil
}
