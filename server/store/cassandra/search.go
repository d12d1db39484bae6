package cassandra

import (
	"context"
	"errors"
	"slices"
	"unicode/utf8"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

// maxPrefix is the longest prefix indexed, in characters. Longer query
// words read the partition of their first maxPrefix characters and are
// matched whole in Go.
const maxPrefix = 12

// searchCandidates is how many rows, most popular first, one query reads
// per kind: the ranking happens among them, so results past the first
// searchCandidates popular matches of the driving word are not reached.
const searchCandidates = 1000

// prefixes returns every distinct prefix, 1 to maxPrefix characters, of the
// words.
func prefixes(words []string) []string {
	var out []string
	for _, w := range words {
		r := []rune(w)
		for n := 1; n <= min(len(r), maxPrefix); n++ {
			out = append(out, string(r[:n]))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

type searchDoc struct {
	kind      string
	id        string
	primary   string
	secondary []string
	rank      int64
}

type indexedDoc struct {
	Prefixes []string `db:"prefixes"`
	Rank     int64    `db:"rank"`
}

func (s *Store) indexedAs(ctx context.Context, kind, id string) (indexedDoc, error) {
	var d indexedDoc
	err := s.read(ctx, `SELECT prefixes, rank FROM search_docs WHERE kind = ? AND id = ?`, kind, id).Get(&d)
	if errors.Is(err, gocql.ErrNotFound) {
		return d, nil
	}
	return d, err
}

// index writes d's prefix rows, records them, then deletes the rows it no
// longer has. The rows are many partitions and derived data, so they are
// single writes, not a batch; the order means a failure leaves extra rows
// (which the next index of d removes) rather than a document that cannot be
// found.
func (s *Store) index(ctx context.Context, d searchDoc) error {
	old, err := s.indexedAs(ctx, d.kind, d.id)
	if err != nil {
		return err
	}
	words := search.Tokens(d.primary)
	for _, t := range d.secondary {
		words = append(words, search.Tokens(t)...)
	}
	now := prefixes(words)
	rows := make([]stmt, len(now))
	for i, p := range now {
		rows[i] = stmt{`INSERT INTO search_prefix (kind, prefix, rank, id, primary_text, secondary_text) VALUES (?, ?, ?, ?, ?, ?)`,
			[]any{d.kind, p, d.rank, d.id, d.primary, d.secondary}}
	}
	if err := s.writeEach(ctx, rows); err != nil {
		return err
	}
	if err := s.write(ctx, `INSERT INTO search_docs (kind, id, prefixes, rank) VALUES (?, ?, ?, ?)`, d.kind, d.id, now, d.rank).Exec(); err != nil {
		return err
	}
	var stale []stmt
	for _, p := range old.Prefixes {
		if old.Rank != d.rank || !slices.Contains(now, p) {
			stale = append(stale, stmt{`DELETE FROM search_prefix WHERE kind = ? AND prefix = ? AND rank = ? AND id = ?`,
				[]any{d.kind, p, old.Rank, d.id}})
		}
	}
	return s.writeEach(ctx, stale)
}

func (s *Store) unindex(ctx context.Context, kind, id string) error {
	old, err := s.indexedAs(ctx, kind, id)
	if err != nil {
		return err
	}
	rows := make([]stmt, len(old.Prefixes))
	for i, p := range old.Prefixes {
		rows[i] = stmt{`DELETE FROM search_prefix WHERE kind = ? AND prefix = ? AND rank = ? AND id = ?`, []any{kind, p, old.Rank, id}}
	}
	if err := s.writeEach(ctx, rows); err != nil {
		return err
	}
	return s.write(ctx, `DELETE FROM search_docs WHERE kind = ? AND id = ?`, kind, id).Exec()
}

// artistNames returns the names of the artists that exist, in order.
func (s *Store) artistNames(ctx context.Context, ids []string) ([]string, error) {
	as, err := fetchAll(ctx, ids, catalogStore{s}.GetArtist)
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.Name
	}
	return names, err
}

func (s *Store) indexArtist(ctx context.Context, a *domain.Artist) error {
	return s.index(ctx, searchDoc{kind: kindArtist, id: a.ID, primary: a.Name})
}

// indexAlbum indexes the album under its title and, ranking lower, its
// artists' names.
func (s *Store) indexAlbum(ctx context.Context, al *domain.Album) error {
	names, err := s.artistNames(ctx, al.ArtistIDs)
	if err != nil {
		return err
	}
	return s.index(ctx, searchDoc{kind: kindAlbum, id: al.ID, primary: al.Title, secondary: names})
}

// indexTrack indexes the track under its title and, ranking lower, its
// artists' names and its album's title; popular tracks come first.
func (s *Store) indexTrack(ctx context.Context, t *domain.Track) error {
	names, err := s.artistNames(ctx, t.ArtistIDs)
	if err != nil {
		return err
	}
	if t.AlbumID != "" {
		var title string
		err := s.read(ctx, `SELECT title FROM albums WHERE id = ?`, t.AlbumID).Scan(&title)
		switch {
		case err == nil:
			names = append(names, title)
		case !errors.Is(err, gocql.ErrNotFound):
			return err
		}
	}
	return s.index(ctx, searchDoc{kind: kindTrack, id: t.ID, primary: t.Title, secondary: names, rank: t.PlayCount})
}

func (s *Store) reindexAlbum(ctx context.Context, id string) error {
	al, err := catalogStore{s}.GetAlbum(ctx, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.indexAlbum(ctx, al)
}

func (s *Store) reindexTrack(ctx context.Context, id string) error {
	t, err := catalogStore{s}.GetTrack(ctx, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.indexTrack(ctx, t)
}

var searchKinds = map[domain.ItemType]struct {
	kind string
	sk   search.Kind
}{
	domain.ItemArtist: {kindArtist, search.KindArtist},
	domain.ItemAlbum:  {kindAlbum, search.KindAlbum},
	domain.ItemTrack:  {kindTrack, search.KindTrack},
}

type prefixRow struct {
	ID        string   `db:"id"`
	Primary   string   `db:"primary_text"`
	Secondary []string `db:"secondary_text"`
	Rank      int64    `db:"rank"`
}

// Search reads, for each kind asked, one partition: that of the longest
// query word's prefix, most popular first. The candidates carry their
// texts, so matching every query word and ranking (search.Index, the
// ranking every store shares) happen in Go without further reads. Pages are
// offsets into that ranking.
func (c catalogStore) Search(ctx context.Context, query string, types []domain.ItemType, p domain.Page) (_ []domain.SearchHit, _ string, err error) {
	defer wrap(&err, "cassandra.Search(%q)", query)
	folded := search.Fold(query)
	offset, err := pagetoken.ReadOffset(p, ofSearch, folded)
	if err != nil {
		return nil, "", err
	}
	if len(types) == 0 {
		types = []domain.ItemType{domain.ItemArtist, domain.ItemAlbum, domain.ItemTrack}
	}
	var kinds []search.Kind
	var tables []string
	for _, t := range types {
		if t == domain.ItemPlaylist {
			// The prefix table never held playlists; only the search
			// engine (--search-url) finds them.
			continue
		}
		k, ok := searchKinds[t]
		if !ok {
			return nil, "", domain.Invalid("types", "unknown item type %q", t)
		}
		if !slices.Contains(kinds, k.sk) {
			kinds, tables = append(kinds, k.sk), append(tables, k.kind)
		}
	}
	words := search.Tokens(query)
	if len(words) == 0 || len(kinds) == 0 {
		return nil, "", nil
	}
	driver := slices.MaxFunc(words, func(a, b string) int { return utf8.RuneCountInString(a) - utf8.RuneCountInString(b) })
	key := driver
	if r := []rune(driver); len(r) > maxPrefix {
		key = string(r[:maxPrefix])
	}

	ix := search.NewIndex()
	for i, kind := range tables {
		var rows []prefixRow
		if err := c.read(ctx, `SELECT id, primary_text, secondary_text, rank FROM search_prefix WHERE kind = ? AND prefix = ? LIMIT ?`,
			kind, key, searchCandidates).Select(&rows); err != nil {
			return nil, "", err
		}
		for _, r := range rows {
			ix.Upsert(search.Doc{Kind: kinds[i], ID: r.ID, Primary: r.Primary, Secondary: r.Secondary, Popularity: r.Rank})
		}
	}
	res := ix.Search(search.Query{Text: query, Kinds: kinds, Offset: offset, Limit: p.Size})
	hits, err := fetchAll(ctx, res.Hits, c.hit)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if offset+len(res.Hits) < res.Total {
		next = pagetoken.OffsetToken(ofSearch, folded, offset+len(res.Hits))
	}
	return hits, next, nil
}

func (c catalogStore) hit(ctx context.Context, h search.Hit) (domain.SearchHit, error) {
	out := domain.SearchHit{Score: h.Score}
	var err error
	switch h.Kind {
	case search.KindArtist:
		out.Artist, err = c.GetArtist(ctx, h.ID)
	case search.KindAlbum:
		out.Album, err = c.GetAlbum(ctx, h.ID)
	default:
		out.Track, err = c.GetTrack(ctx, h.ID)
	}
	return out, err
}
