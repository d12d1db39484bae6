package cassandra

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
)

// The search change feed (009_search_feed.cql): writes append the kind and
// id of each search document they change; an indexer (server/search/indexer)
// reads the documents back through SearchFeed and indexes them.
const (
	// feedShards spreads a minute's records over that many partitions, so a
	// write burst does not make one hot partition.
	feedShards = 8
	// feedBucket is a partition's span of time.
	feedBucket   = time.Minute
	kindPlaylist = "playlist"
)

const feedInsert = `INSERT INTO search_feed (bucket, shard, at, kind, id) VALUES (?, ?, ?, ?, ?)`

// feedShard keeps one document's records in one shard, so they are read in
// the order they were written.
func feedShard(kind, id string) int { return hashShard(feedShards, kind, id) }

// hashShard spreads keys of parts over n shards (FNV-1a of the parts, each
// followed by a zero byte but the last).
func hashShard(n int, parts ...string) int {
	h := fnv.New32a()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return int(h.Sum32() % uint32(n))
}

func feedBucketOf(t time.Time) int64 { return t.Unix() / int64(feedBucket/time.Second) }

func feedArgs(kind, id string) []any {
	at := gocql.TimeUUID()
	return []any{feedBucketOf(at.Time()), feedShard(kind, id), at, kind, id}
}

// feed adds a record per id to the batch, so it lands with the write.
func (b *batch) feed(kind string, ids ...string) {
	for _, id := range ids {
		b.add(feedInsert, feedArgs(kind, id)...)
	}
}

// feed appends a record per id on its own, for writes that are not one
// batch (cascades over many documents, lightweight transactions).
func (s *Store) feed(ctx context.Context, kind string, ids ...string) error {
	stmts := make([]stmt, len(ids))
	for i, id := range ids {
		stmts[i] = stmt{feedInsert, feedArgs(kind, id)}
	}
	return s.writeEach(ctx, stmts)
}

// SearchFeed is the store's change feed for a search engine's indexer.
func (s *Store) SearchFeed() domain.SearchFeed { return searchFeed{s} }

type searchFeed struct{ *Store }

func (searchFeed) FeedShards() int { return feedShards }

func (searchFeed) FeedPos(t time.Time) string { return gocql.MaxTimeUUID(t).String() }

func (searchFeed) FeedPosTime(pos string) (time.Time, error) {
	u, err := gocql.ParseUUID(pos)
	if err != nil || u.Version() != 1 {
		return time.Time{}, fmt.Errorf("feed position %q is not a time UUID", pos)
	}
	return u.Time(), nil
}

type feedRow struct {
	At   gocql.UUID `db:"at"`
	Kind string     `db:"kind"`
	ID   string     `db:"id"`
}

// ReadFeed reads the shard's partitions minute by minute, from after's (or
// since's) to until's, each read naming its whole partition key.
func (f searchFeed) ReadFeed(ctx context.Context, shard int, after string, since, until time.Time, limit int) (_ []domain.FeedRecord, err error) {
	defer wrap(&err, "cassandra.ReadFeed(%d, %q)", shard, after)
	from := gocql.MinTimeUUID(since)
	if after != "" {
		if from, err = gocql.ParseUUID(after); err != nil {
			return nil, err
		}
	}
	to := gocql.MaxTimeUUID(until)
	var out []domain.FeedRecord
	for b := feedBucketOf(from.Time()); b <= feedBucketOf(until) && len(out) < limit; b++ {
		var rows []feedRow
		if err := f.read(ctx, `SELECT at, kind, id FROM search_feed WHERE bucket = ? AND shard = ? AND at > ? AND at <= ? LIMIT ?`,
			b, shard, from, to, limit-len(out)).Select(&rows); err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, domain.FeedRecord{Shard: shard, Pos: r.At.String(), Time: r.At.Time(), Kind: domain.ItemType(r.Kind), ID: r.ID})
		}
	}
	return out, nil
}

func (f searchFeed) Checkpoints(ctx context.Context, indexer string) (_ map[int]string, err error) {
	defer wrap(&err, "cassandra.Checkpoints(%q)", indexer)
	var rows []struct {
		Shard int        `db:"shard"`
		At    gocql.UUID `db:"at"`
	}
	if err := f.read(ctx, `SELECT shard, at FROM search_feed_checkpoints WHERE indexer = ?`, indexer).Select(&rows); err != nil {
		return nil, err
	}
	out := make(map[int]string, len(rows))
	for _, r := range rows {
		out[r.Shard] = r.At.String()
	}
	return out, nil
}

func (f searchFeed) SaveCheckpoint(ctx context.Context, indexer string, shard int, pos string) (err error) {
	defer wrap(&err, "cassandra.SaveCheckpoint(%q, %d)", indexer, shard)
	at, err := gocql.ParseUUID(pos)
	if err != nil {
		return err
	}
	return f.write(ctx, `INSERT INTO search_feed_checkpoints (indexer, shard, at) VALUES (?, ?, ?)`, indexer, shard, at).Exec()
}

// SearchDoc reads the document as it is now. Its version is the time of
// the read, taken before it: a later read sees a state at least as new.
func (f searchFeed) SearchDoc(ctx context.Context, kind domain.ItemType, id string) (_ *domain.SearchDoc, err error) {
	defer wrap(&err, "cassandra.SearchDoc(%s %q)", kind, id)
	version := time.Now().UnixMicro()
	c := catalogStore{f.Store}
	var d *domain.SearchDoc
	switch kind {
	case domain.ItemArtist:
		a, err := c.GetArtist(ctx, id)
		if err != nil {
			return nil, err
		}
		d = f.artistDoc(a)
	case domain.ItemAlbum:
		a, err := c.GetAlbum(ctx, id)
		if err != nil {
			return nil, err
		}
		if d, err = f.albumDoc(ctx, a); err != nil {
			return nil, err
		}
	case domain.ItemTrack:
		t, err := c.GetTrack(ctx, id)
		if err != nil {
			return nil, err
		}
		if d, err = f.trackDoc(ctx, t); err != nil {
			return nil, err
		}
	case domain.ItemPlaylist:
		pl, err := playlistStore{f.Store}.GetPlaylist(ctx, id)
		if err != nil {
			return nil, err
		}
		if !pl.Public {
			return nil, domain.NotFound("public playlist", id)
		}
		d = f.playlistDoc(pl)
	default:
		return nil, domain.Invalid("kind", "unknown search document kind %q", kind)
	}
	d.Version = version
	return d, nil
}

func (searchFeed) artistDoc(a *domain.Artist) *domain.SearchDoc {
	return &domain.SearchDoc{Kind: domain.ItemArtist, ID: a.ID, Name: a.Name}
}

// playlistDoc carries no popularity yet: follows do not feed the index, so
// a rebuild would disagree with the live index if it used FollowerCount.
func (searchFeed) playlistDoc(pl *domain.Playlist) *domain.SearchDoc {
	return &domain.SearchDoc{Kind: domain.ItemPlaylist, ID: pl.ID, Name: pl.Name}
}

// albumDoc is found by the album's title and its artists' names.
func (f searchFeed) albumDoc(ctx context.Context, a *domain.Album) (*domain.SearchDoc, error) {
	names, err := f.artistNames(ctx, a.ArtistIDs)
	if err != nil {
		return nil, err
	}
	return &domain.SearchDoc{Kind: domain.ItemAlbum, ID: a.ID, Name: a.Title, Artists: names}, nil
}

// trackDoc is found by the track's title, its artists' names and its
// album's title. Its popularity is the play count on the coarse scale of
// rankStep: the feed carries a count only when it reaches a new step, so
// the live index and a rebuild agree.
func (f searchFeed) trackDoc(ctx context.Context, t *domain.Track) (*domain.SearchDoc, error) {
	names, err := f.artistNames(ctx, t.ArtistIDs)
	if err != nil {
		return nil, err
	}
	if t.AlbumID != "" {
		al, err := catalogStore{f.Store}.GetAlbum(ctx, t.AlbumID)
		switch {
		case err == nil:
			names = append(names, al.Title)
		case !domain.IsKind(err, domain.KindNotFound):
			return nil, err
		}
	}
	return &domain.SearchDoc{Kind: domain.ItemTrack, ID: t.ID, Name: t.Title, Artists: names, Popularity: rankStep(t.PlayCount)}, nil
}

// ScanSearchDocs lists one page of a kind through its "list all" listing;
// public playlists are listed per owner, a page of users at a time (a page
// then holds every public playlist of those users).
func (f searchFeed) ScanSearchDocs(ctx context.Context, kind domain.ItemType, p domain.Page) (_ []domain.SearchDoc, _ string, err error) {
	defer wrap(&err, "cassandra.ScanSearchDocs(%s)", kind)
	version := time.Now().UnixMicro()
	c := catalogStore{f.Store}
	var docs []*domain.SearchDoc
	var next string
	switch kind {
	case domain.ItemArtist:
		as, n, err := c.ListArtists(ctx, p)
		if err != nil {
			return nil, "", err
		}
		for _, a := range as {
			docs = append(docs, f.artistDoc(a))
		}
		next = n
	case domain.ItemAlbum:
		as, n, err := c.ListAlbums(ctx, p)
		if err != nil {
			return nil, "", err
		}
		if docs, err = fetchAll(ctx, as, f.albumDoc); err != nil {
			return nil, "", err
		}
		next = n
	case domain.ItemTrack:
		ts, n, err := c.ListTracks(ctx, p)
		if err != nil {
			return nil, "", err
		}
		if docs, err = fetchAll(ctx, ts, f.trackDoc); err != nil {
			return nil, "", err
		}
		next = n
	case domain.ItemPlaylist:
		us, n, err := userStore{f.Store}.ListUsers(ctx, "", p)
		if err != nil {
			return nil, "", err
		}
		for _, u := range us {
			pg := domain.Page{Size: 100}
			for {
				pls, more, err := playlistStore{f.Store}.ListPlaylistsByOwner(ctx, u.ID, true, pg)
				if err != nil {
					return nil, "", err
				}
				for _, pl := range pls {
					docs = append(docs, f.playlistDoc(pl))
				}
				if more == "" {
					break
				}
				pg.Token = more
			}
		}
		next = n
	default:
		return nil, "", domain.Invalid("kind", "unknown search document kind %q", kind)
	}
	out := make([]domain.SearchDoc, len(docs))
	for i, d := range docs {
		out[i] = *d
		out[i].Version = version
	}
	return out, next, nil
}

// HoldLease takes a free lease, or renews the holder's own, for ttl: a
// lightweight transaction either way, so two replicas never both hold it.
func (f searchFeed) HoldLease(ctx context.Context, name, holder string, ttl time.Duration) (_ bool, err error) {
	defer wrap(&err, "cassandra.HoldLease(%q, %q)", name, holder)
	secs := max(1, int(ttl/time.Second))
	applied, err := f.once(ctx, `INSERT INTO search_leases (name, holder) VALUES (?, ?) IF NOT EXISTS USING TTL ?`, name, holder, secs).ExecCAS()
	if err != nil || applied {
		return applied, err
	}
	return f.once(ctx, `UPDATE search_leases USING TTL ? SET holder = ? WHERE name = ? IF holder = ?`, secs, holder, name, holder).ExecCAS()
}

func (f searchFeed) ReleaseLease(ctx context.Context, name, holder string) (err error) {
	defer wrap(&err, "cassandra.ReleaseLease(%q, %q)", name, holder)
	_, err = f.once(ctx, `DELETE FROM search_leases WHERE name = ? IF holder = ?`, name, holder).ExecCAS()
	return err
}
