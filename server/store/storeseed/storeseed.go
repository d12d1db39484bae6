// Package storeseed fills a store with a generated catalog, users and
// playlists of a chosen size, for load tests and benchmarks. It writes
// through the domain's store interfaces only, so it fills any store; it
// lives outside the test packages so the load tool (cmd/loadgen) can link
// it without linking the conformance suite.
package storeseed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/backbeat/backbeat/server/domain"
)

// Batcher is offered by stores that can run many writes in one transaction
// (the embedded store does): FillCatalog and FillPlaylists use it when the
// store has it, which makes seeding many times faster there; stores without
// it are written concurrently instead (see Options).
type Batcher interface {
	Batch(ctx context.Context, fn func(ctx context.Context) error) error
}

// Catalog lists what FillCatalog created.
type Catalog struct {
	ArtistIDs []string
	AlbumIDs  []string
	TrackIDs  []string
	// Words are words that occur in the generated names, for benchmarks to
	// search by.
	Words []string
}

// Syllables, some accented or with letters that only fold by table, so
// generated names exercise search folding like real catalogs do.
var (
	syllables = []string{"ka", "lo", "mi", "ré", "so", "ta", "na", "vé", "lu", "ko", "ża", "ni", "bø", "da", "fa",
		"ri", "mo", "sé", "ła", "be", "yo", "ün", "ce", "æl", "ðu", "xi", "pa", "go", "ñe", "te"}
	commonWords = []string{"love", "night", "the", "of", "heart", "dance", "fire", "city", "blue", "you", "me",
		"drive", "dream", "rain", "gold", "a", "in", "my", "time", "light"}
)

type nameGen struct{ rng *rand.Rand }

func (g nameGen) word() string {
	var b strings.Builder
	for range 2 + g.rng.IntN(2) {
		b.WriteString(syllables[g.rng.IntN(len(syllables))])
	}
	return b.String()
}

func (g nameGen) title(maxWords int) string {
	parts := make([]string, 1+g.rng.IntN(maxWords))
	for i := range parts {
		if g.rng.IntN(3) == 0 {
			parts[i] = commonWords[g.rng.IntN(len(commonWords))]
		} else {
			parts[i] = g.word()
		}
	}
	r, n := utf8.DecodeRuneInString(parts[0])
	parts[0] = string(unicode.ToUpper(r)) + parts[0][n:]
	return strings.Join(parts, " ")
}

// IDAfter returns a fresh id above last: ids of one millisecond are not
// ordered among themselves, and seeded data (like the conformance suite's
// fixtures) wants creation order and id order to agree. When a fresh id is
// not above last, last plus one is: still of NewID's shape, as only the
// random end changes.
func IDAfter(last string) string {
	if id := domain.NewID(); id > last {
		return id
	}
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	b := []byte(last)
	for i := len(b) - 1; i >= 0; i-- {
		at := strings.IndexByte(alphabet, b[i])
		if at < len(alphabet)-1 {
			b[i] = alphabet[at+1]
			return string(b)
		}
		b[i] = alphabet[0]
	}
	panic("storeseed: id space exhausted")
}

// seeder holds the state of one seeding run.
type seeder struct {
	g    nameGen
	now  time.Time
	last string // the last id made
}

func (sd *seeder) id() string {
	sd.last = IDAfter(sd.last)
	return sd.last
}

// FillCatalog fills s, through its interfaces, with about tracks tracks:
// one artist per 20 tracks, albums of 10 tracks, a fifth of the tracks
// crediting a second artist, play counts spread like real ones (few hits,
// a long tail). The same tracks value always generates the same names.
// It generates everything first, then writes artists, albums and tracks in
// that order (a track's album and artists exist before it does): in
// batches when the store offers them (see Batcher), else with o.Concurrency
// writes in flight.
func FillCatalog(ctx context.Context, s domain.Stores, tracks int, o Options) (*Catalog, error) {
	sd := &seeder{
		g:   nameGen{rand.New(rand.NewPCG(uint64(tracks), 42))},
		now: time.Now().UTC().Truncate(time.Millisecond),
	}
	out := &Catalog{Words: append([]string(nil), commonWords...)}
	artists := make([]*domain.Artist, max(1, tracks/20))
	for i := range artists {
		artists[i] = &domain.Artist{ID: sd.id(), Name: sd.g.title(2), Genres: []string{"pop"}, CreateTime: sd.now, UpdateTime: sd.now}
		out.ArtistIDs = append(out.ArtistIDs, artists[i].ID)
	}
	var albums []*domain.Album
	all := make([]*domain.Track, tracks)
	for i := range all {
		primary := out.ArtistIDs[i/20%len(artists)]
		if i%10 == 0 {
			al := &domain.Album{ID: sd.id(), Title: sd.g.title(3), ArtistIDs: []string{primary}, Type: domain.AlbumTypeAlbum,
				ReleaseDate: fmt.Sprintf("%d-%02d-%02d", 1970+sd.g.rng.IntN(55), 1+sd.g.rng.IntN(12), 1+sd.g.rng.IntN(28)),
				CreateTime:  sd.now, UpdateTime: sd.now}
			albums = append(albums, al)
			out.AlbumIDs = append(out.AlbumIDs, al.ID)
		}
		credits := []string{primary}
		if sd.g.rng.IntN(5) == 0 {
			if other := out.ArtistIDs[sd.g.rng.IntN(len(artists))]; other != primary {
				credits = append(credits, other)
			}
		}
		all[i] = &domain.Track{
			ID: sd.id(), Title: sd.g.title(4), ArtistIDs: credits, AlbumID: albums[len(albums)-1].ID,
			DiscNumber: 1, TrackNumber: 1 + i%10, Duration: time.Duration(120+sd.g.rng.IntN(240)) * time.Second,
			Status: domain.TrackReady, PlayCount: int64(1e7 / (1 + sd.g.rng.Float64()*1e4)),
			CreateTime: sd.now, UpdateTime: sd.now,
		}
		out.TrackIDs = append(out.TrackIDs, all[i].ID)
	}
	for range 20 {
		out.Words = append(out.Words, sd.g.word())
	}

	const perBatch = 2000
	if err := writeAll(ctx, s.Catalog, "artists", len(artists), perBatch, o, func(ctx context.Context, i int) error {
		if err := s.Catalog.CreateArtist(ctx, artists[i]); err != nil {
			return fmt.Errorf("seed artist %d: %w", i, err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := writeAll(ctx, s.Catalog, "albums", len(albums), perBatch, o, func(ctx context.Context, i int) error {
		if err := s.Catalog.CreateAlbum(ctx, albums[i]); err != nil {
			return fmt.Errorf("seed album %d: %w", i, err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := writeAll(ctx, s.Catalog, "tracks", len(all), perBatch, o, func(ctx context.Context, i int) error {
		if err := s.Catalog.CreateTrack(ctx, all[i]); err != nil {
			return fmt.Errorf("seed track %d: %w", i, err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// FillPlaylists creates n public playlists, owned by n/10 new users, each
// with 1 to 2*avgEntries entries drawn from trackIDs, and returns their ids.
// Like FillCatalog it writes in batches or concurrently, as o and the store
// allow; one playlist and its entries are written by one worker, in order.
func FillPlaylists(ctx context.Context, s domain.Stores, trackIDs []string, n, avgEntries int, o Options) ([]string, error) {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	sd := &seeder{now: time.Now().UTC().Truncate(time.Millisecond)}
	users := make([]*domain.User, max(1, n/10))
	for i := range users {
		name := fmt.Sprintf("seeduser%06d", i)
		users[i] = &domain.User{ID: sd.id(), Username: name, Email: name + "@example.com", DisplayName: name,
			Roles: []domain.Role{domain.RoleListener}, CreateTime: sd.now, UpdateTime: sd.now}
	}
	type playlist struct {
		pl      *domain.Playlist
		entries []*domain.PlaylistEntry
	}
	pls := make([]playlist, n)
	ids := make([]string, n)
	for i := range pls {
		pl := &domain.Playlist{ID: sd.id(), OwnerID: users[i%len(users)].ID, Name: fmt.Sprintf("Mix %d", i), Public: true,
			CreateTime: sd.now, UpdateTime: sd.now}
		entries := make([]*domain.PlaylistEntry, 1+rng.IntN(2*avgEntries))
		for j := range entries {
			entries[j] = &domain.PlaylistEntry{ID: sd.id(), TrackID: trackIDs[rng.IntN(len(trackIDs))], AddedBy: pl.OwnerID, AddTime: sd.now}
		}
		pls[i] = playlist{pl, entries}
		ids[i] = pl.ID
	}

	if err := writeAll(ctx, s.Catalog, "users", len(users), 2000, o, func(ctx context.Context, i int) error {
		if err := s.Users.CreateUser(ctx, users[i]); err != nil {
			return fmt.Errorf("seed user %d: %w", i, err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := writeAll(ctx, s.Catalog, "playlists", n, 200, o, func(ctx context.Context, i int) error {
		pl, entries := pls[i].pl, pls[i].entries
		if err := s.Playlists.CreatePlaylist(ctx, pl); err != nil {
			return fmt.Errorf("seed playlist %d: %w", i, err)
		}
		for from := 0; from < len(entries); from += domain.MaxBatch {
			if err := s.Playlists.AddEntries(ctx, pl.ID, entries[from:min(from+domain.MaxBatch, len(entries))], -1); err != nil {
				return fmt.Errorf("seed entries of playlist %d: %w", i, err)
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return ids, nil
}
