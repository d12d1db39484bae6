package domain

import (
	"context"
	"slices"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
)

// Catalog holds the rules for artists, albums and tracks: every signed-in
// user reads; artists manage what their artists own; admins manage all.
type Catalog struct {
	stores  Stores
	janitor *Janitor
	now     func() time.Time
	// engine, when set, answers Search instead of the store.
	engine SearchEngine
}

// NewCatalog keeps the catalog in stores; janitor removes deleted tracks'
// media.
func NewCatalog(stores Stores, janitor *Janitor, now func() time.Time) *Catalog {
	if now == nil {
		now = time.Now
	}
	return &Catalog{stores: stores, janitor: janitor, now: now}
}

// manages reports whether p may manage artist a.
func manages(p Principal, a *Artist) bool {
	return p.IsAdmin() || slices.Contains(a.OwnerIDs, p.UserID)
}

// requireManager loads the artist and checks p manages it. what names the
// thing being changed, for the error.
func (c *Catalog) requireManager(ctx context.Context, p Principal, artistID, what string) (*Artist, error) {
	if artistID == "" {
		return nil, Invalid("artist_ids", "at least one artist is required")
	}
	a, err := c.stores.Catalog.GetArtist(ctx, artistID)
	if err != nil {
		return nil, err
	}
	if !manages(p, a) {
		return nil, PermissionDenied("%s belongs to artist %q, which you do not manage", what, a.Name)
	}
	return a, nil
}

// requireCredits checks p may credit every artist of ids (field names them
// for the error): each must exist, and crediting one is its managers'
// decision (or an admin's), so an artist cannot be put on someone else's
// album or track without their consent. Artists in kept, those already
// credited, stay without asking again.
func (c *Catalog) requireCredits(ctx context.Context, p Principal, field string, ids, kept []string) error {
	for _, id := range ids {
		a, err := c.stores.Catalog.GetArtist(ctx, id)
		if err != nil {
			return err
		}
		if !manages(p, a) && !slices.Contains(kept, id) {
			return PermissionDenied("%s: crediting artist %q needs its consent: only its managers (or an admin) may credit it", field, a.Name)
		}
	}
	return nil
}

// withdrawsCredit reports whether a patch of fields, turning credits into
// next, only takes artists p manages off the credits of something p does
// not otherwise manage: the primary artist stays first, the rest keep their
// order, and every artist dropped is one of p's. A credited artist's
// managers may always do that, so a credit given without consent (or no
// longer wanted) can be undone.
func (c *Catalog) withdrawsCredit(ctx context.Context, p Principal, credits, next []string, fields []string) (bool, error) {
	if len(fields) != 1 || fields[0] != "artist_ids" || len(next) == 0 || len(next) >= len(credits) || next[0] != credits[0] {
		return false, nil
	}
	i := 0
	for _, id := range credits {
		if i < len(next) && next[i] == id {
			i++
			continue
		}
		a, err := c.stores.Catalog.GetArtist(ctx, id)
		if IsKind(err, KindNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !manages(p, a) {
			return false, nil
		}
	}
	return i == len(next), nil
}

func (c *Catalog) CreateArtist(ctx context.Context, p Principal, a *Artist) (_ *Artist, err error) {
	defer derrors.Wrap(&err, "Catalog.CreateArtist(%q)", a.ID)
	if !p.Has(RoleArtist) && !p.IsAdmin() {
		return nil, PermissionDenied("creating artists needs the artist role")
	}
	if len(a.OwnerIDs) == 0 || !p.IsAdmin() {
		// Only admins create artists for others; anyone else manages what they create.
		a.OwnerIDs = []string{p.UserID}
	}
	for _, id := range a.OwnerIDs {
		if _, err := c.stores.Users.GetUser(ctx, id); err != nil {
			return nil, err
		}
	}
	now := c.now().UTC()
	a.ID, a.CreateTime, a.UpdateTime = NewID(), now, now
	if err := c.stores.Catalog.CreateArtist(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

func (c *Catalog) GetArtist(ctx context.Context, id string) (_ *Artist, err error) {
	defer derrors.Wrap(&err, "Catalog.GetArtist(%q)", id)
	a, err := c.stores.Catalog.GetArtist(ctx, id)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// UpdateArtist applies the named fields of patch. Changing the managers
// ("owner_user_ids") is for admins.
func (c *Catalog) UpdateArtist(ctx context.Context, p Principal, patch *Artist, fields []string) (_ *Artist, err error) {
	defer derrors.Wrap(&err, "Catalog.UpdateArtist(%q)", patch.ID)
	a, err := c.requireManager(ctx, p, patch.ID, "this artist")
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		switch f {
		case "name":
			a.Name = patch.Name
		case "bio":
			a.Bio = patch.Bio
		case "genres":
			a.Genres = patch.Genres
		case "image_url":
			a.ImageURL = patch.ImageURL
		case "owner_user_ids":
			if !p.IsAdmin() {
				return nil, PermissionDenied("changing an artist's managers needs the admin role")
			}
			if len(patch.OwnerIDs) == 0 {
				return nil, Invalid("artist.owner_user_ids", "an artist needs at least one manager")
			}
			for _, id := range patch.OwnerIDs {
				if _, err := c.stores.Users.GetUser(ctx, id); err != nil {
					return nil, err
				}
			}
			a.OwnerIDs = patch.OwnerIDs
		default:
			return nil, Invalid("update_mask", "field %q cannot be updated", f)
		}
	}
	a.UpdateTime = c.now().UTC()
	if err := c.stores.Catalog.UpdateArtist(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

func (c *Catalog) DeleteArtist(ctx context.Context, p Principal, id string) (err error) {
	defer derrors.Wrap(&err, "Catalog.DeleteArtist(%q)", id)
	if _, err := c.requireManager(ctx, p, id, "this artist"); err != nil {
		return err
	}
	tracks, err := c.stores.Catalog.DeleteArtist(ctx, id)
	c.janitor.tracksDeleted(ctx, tracks...) // even those of a delete that failed half-way
	if err != nil {
		return err
	}
	return nil
}

func (c *Catalog) ListArtists(ctx context.Context, pg Page) (_ []*Artist, _ string, err error) {
	defer derrors.Wrap(&err, "Catalog.ListArtists")
	as, next, err := c.stores.Catalog.ListArtists(ctx, pg)
	if err != nil {
		return nil, "", err
	}
	return as, next, nil
}

func (c *Catalog) CreateAlbum(ctx context.Context, p Principal, al *Album) (_ *Album, err error) {
	defer derrors.Wrap(&err, "Catalog.CreateAlbum(%q)", al.ID)
	if len(al.ArtistIDs) == 0 {
		return nil, Invalid("album.artist_ids", "at least one artist is required")
	}
	if _, err := c.requireManager(ctx, p, primaryArtist(al.ArtistIDs), "this album"); err != nil {
		return nil, err
	}
	if err := c.requireCredits(ctx, p, "album.artist_ids", al.ArtistIDs[1:], nil); err != nil {
		return nil, err
	}
	if al.Type == "" {
		al.Type = AlbumTypeAlbum
	}
	now := c.now().UTC()
	al.ID, al.CreateTime, al.UpdateTime, al.TrackCount = NewID(), now, now, 0
	if err := c.stores.Catalog.CreateAlbum(ctx, al); err != nil {
		return nil, err
	}
	return al, nil
}

func (c *Catalog) GetAlbum(ctx context.Context, id string) (_ *Album, err error) {
	defer derrors.Wrap(&err, "Catalog.GetAlbum(%q)", id)
	al, err := c.stores.Catalog.GetAlbum(ctx, id)
	if err != nil {
		return nil, err
	}
	return al, nil
}

// albumForManager loads an album p manages.
func (c *Catalog) albumForManager(ctx context.Context, p Principal, id string) (*Album, error) {
	al, err := c.stores.Catalog.GetAlbum(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := c.requireManager(ctx, p, primaryArtist(al.ArtistIDs), "this album"); err != nil {
		return nil, err
	}
	return al, nil
}

// UpdateAlbum applies the named fields of patch, for the managers of the
// album's primary artist (and admins). The managers of a credited artist
// may change only one thing: take their artist off artist_ids.
func (c *Catalog) UpdateAlbum(ctx context.Context, p Principal, patch *Album, fields []string) (_ *Album, err error) {
	defer derrors.Wrap(&err, "Catalog.UpdateAlbum(%q)", patch.ID)
	al, err := c.albumForManager(ctx, p, patch.ID)
	if IsKind(err, KindPermissionDenied) {
		var cur *Album
		if cur, err = c.stores.Catalog.GetAlbum(ctx, patch.ID); err != nil {
			return nil, err
		}
		withdraw, werr := c.withdrawsCredit(ctx, p, cur.ArtistIDs, patch.ArtistIDs, fields)
		if werr != nil {
			return nil, werr
		}
		if !withdraw {
			return nil, PermissionDenied("this album belongs to an artist you do not manage; the managers of a credited artist may only take it off album.artist_ids")
		}
		cur.ArtistIDs = patch.ArtistIDs
		cur.UpdateTime = c.now().UTC()
		if err := c.stores.Catalog.UpdateAlbum(ctx, cur); err != nil {
			return nil, err
		}
		return cur, nil
	}
	if err != nil {
		return nil, err
	}
	credited := al.ArtistIDs
	for _, f := range fields {
		switch f {
		case "title":
			al.Title = patch.Title
		case "artist_ids":
			if len(patch.ArtistIDs) == 0 {
				return nil, Invalid("album.artist_ids", "at least one artist is required")
			}
			// Handing an album to another primary artist needs rights over it too.
			if _, err := c.requireManager(ctx, p, primaryArtist(patch.ArtistIDs), "the new primary artist"); err != nil {
				return nil, err
			}
			if err := c.requireCredits(ctx, p, "album.artist_ids", patch.ArtistIDs[1:], credited); err != nil {
				return nil, err
			}
			al.ArtistIDs = patch.ArtistIDs
		case "album_type":
			al.Type = patch.Type
		case "genres":
			al.Genres = patch.Genres
		case "release_date":
			al.ReleaseDate = patch.ReleaseDate
		case "artwork_url":
			al.ArtworkURL = patch.ArtworkURL
		default:
			return nil, Invalid("update_mask", "field %q cannot be updated", f)
		}
	}
	al.UpdateTime = c.now().UTC()
	if err := c.stores.Catalog.UpdateAlbum(ctx, al); err != nil {
		return nil, err
	}
	return al, nil
}

func (c *Catalog) DeleteAlbum(ctx context.Context, p Principal, id string) (err error) {
	defer derrors.Wrap(&err, "Catalog.DeleteAlbum(%q)", id)
	if _, err := c.albumForManager(ctx, p, id); err != nil {
		return err
	}
	tracks, err := c.stores.Catalog.DeleteAlbum(ctx, id)
	c.janitor.tracksDeleted(ctx, tracks...) // even those of a delete that failed half-way
	if err != nil {
		return err
	}
	return nil
}

func (c *Catalog) ListAlbums(ctx context.Context, pg Page) (_ []*Album, _ string, err error) {
	defer derrors.Wrap(&err, "Catalog.ListAlbums")
	as, next, err := c.stores.Catalog.ListAlbums(ctx, pg)
	if err != nil {
		return nil, "", err
	}
	return as, next, nil
}

func (c *Catalog) ListAlbumsByArtist(ctx context.Context, artistID string, pg Page) (_ []*Album, _ string, err error) {
	defer derrors.Wrap(&err, "Catalog.ListAlbumsByArtist(%q)", artistID)
	if _, err := c.stores.Catalog.GetArtist(ctx, artistID); err != nil {
		return nil, "", err
	}
	as, next, err := c.stores.Catalog.ListAlbumsByArtist(ctx, artistID, pg)
	if err != nil {
		return nil, "", err
	}
	return as, next, nil
}

// checkTrackRefs checks p may place a track under these artists and album;
// the artists of credited (the track's before a change) stay credited
// without asking again.
func (c *Catalog) checkTrackRefs(ctx context.Context, p Principal, t *Track, credited []string) error {
	if len(t.ArtistIDs) == 0 {
		return Invalid("track.artist_ids", "at least one artist is required")
	}
	if _, err := c.requireManager(ctx, p, primaryArtist(t.ArtistIDs), "this track"); err != nil {
		return err
	}
	if err := c.requireCredits(ctx, p, "track.artist_ids", t.ArtistIDs[1:], credited); err != nil {
		return err
	}
	if t.AlbumID != "" {
		if _, err := c.albumForManager(ctx, p, t.AlbumID); err != nil {
			return err
		}
	}
	return nil
}

func (c *Catalog) CreateTrack(ctx context.Context, p Principal, t *Track) (_ *Track, err error) {
	defer derrors.Wrap(&err, "Catalog.CreateTrack(%q)", t.ID)
	if err := c.checkTrackRefs(ctx, p, t, nil); err != nil {
		return nil, err
	}
	now := c.now().UTC()
	t.ID, t.CreateTime, t.UpdateTime = NewID(), now, now
	t.Status, t.StatusReason, t.PlayCount = TrackPendingUpload, "", 0
	if err := c.stores.Catalog.CreateTrack(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

func (c *Catalog) GetTrack(ctx context.Context, id string) (_ *Track, err error) {
	defer derrors.Wrap(&err, "Catalog.GetTrack(%q)", id)
	ctx, end := startSpan(ctx, "Catalog.GetTrack")
	defer func() { end(err) }()
	t, err := c.stores.Catalog.GetTrack(ctx, id)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// trackForManager loads a track p manages.
func (c *Catalog) trackForManager(ctx context.Context, p Principal, id string) (*Track, error) {
	t, err := c.stores.Catalog.GetTrack(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := c.requireManager(ctx, p, primaryArtist(t.ArtistIDs), "this track"); err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateTrack applies the named fields of patch, for the managers of the
// track's primary artist (and admins). The managers of a credited artist
// may change only one thing: take their artist off artist_ids.
func (c *Catalog) UpdateTrack(ctx context.Context, p Principal, patch *Track, fields []string) (_ *Track, err error) {
	defer derrors.Wrap(&err, "Catalog.UpdateTrack(%q)", patch.ID)
	t, err := c.trackForManager(ctx, p, patch.ID)
	if IsKind(err, KindPermissionDenied) {
		var cur *Track
		if cur, err = c.stores.Catalog.GetTrack(ctx, patch.ID); err != nil {
			return nil, err
		}
		withdraw, werr := c.withdrawsCredit(ctx, p, cur.ArtistIDs, patch.ArtistIDs, fields)
		if werr != nil {
			return nil, werr
		}
		if !withdraw {
			return nil, PermissionDenied("this track belongs to an artist you do not manage; the managers of a credited artist may only take it off track.artist_ids")
		}
		cur.ArtistIDs = patch.ArtistIDs
		cur.UpdateTime = c.now().UTC()
		if err := c.stores.Catalog.UpdateTrack(ctx, cur); err != nil {
			return nil, err
		}
		return cur, nil
	}
	if err != nil {
		return nil, err
	}
	credited := slices.Clone(t.ArtistIDs)
	for _, f := range fields {
		switch f {
		case "title":
			t.Title = patch.Title
		case "artist_ids":
			t.ArtistIDs = patch.ArtistIDs
		case "album_id":
			t.AlbumID = patch.AlbumID
		case "disc_number":
			t.DiscNumber = patch.DiscNumber
		case "track_number":
			t.TrackNumber = patch.TrackNumber
		case "genres":
			t.Genres = patch.Genres
		case "duration_ms":
			t.Duration = patch.Duration
		case "explicit":
			t.Explicit = patch.Explicit
		case "release_date":
			t.ReleaseDate = patch.ReleaseDate
		case "isrc":
			t.ISRC = patch.ISRC
		case "artwork_url":
			t.ArtworkURL = patch.ArtworkURL
		default:
			return nil, Invalid("update_mask", "field %q cannot be updated", f)
		}
	}
	if slices.Contains(fields, "artist_ids") || slices.Contains(fields, "album_id") {
		if err := c.checkTrackRefs(ctx, p, t, credited); err != nil {
			return nil, err
		}
	}
	t.UpdateTime = c.now().UTC()
	if err := c.stores.Catalog.UpdateTrack(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

func (c *Catalog) DeleteTrack(ctx context.Context, p Principal, id string) (err error) {
	defer derrors.Wrap(&err, "Catalog.DeleteTrack(%q)", id)
	if _, err := c.trackForManager(ctx, p, id); err != nil {
		return err
	}
	if err := c.stores.Catalog.DeleteTrack(ctx, id); err != nil {
		return err
	}
	c.janitor.tracksDeleted(ctx, id)
	return nil
}

func (c *Catalog) ListTracks(ctx context.Context, pg Page) (_ []*Track, _ string, err error) {
	defer derrors.Wrap(&err, "Catalog.ListTracks")
	ts, next, err := c.stores.Catalog.ListTracks(ctx, pg)
	if err != nil {
		return nil, "", err
	}
	return ts, next, nil
}

func (c *Catalog) ListTracksByAlbum(ctx context.Context, albumID string, pg Page) (_ []*Track, _ string, err error) {
	defer derrors.Wrap(&err, "Catalog.ListTracksByAlbum(%q)", albumID)
	if _, err := c.stores.Catalog.GetAlbum(ctx, albumID); err != nil {
		return nil, "", err
	}
	ts, next, err := c.stores.Catalog.ListTracksByAlbum(ctx, albumID, pg)
	if err != nil {
		return nil, "", err
	}
	return ts, next, nil
}

// BatchGetTracks returns the tracks found in the order asked and the ids
// not found.
func (c *Catalog) BatchGetTracks(ctx context.Context, ids []string) (_ []*Track, _ []string, err error) {
	defer derrors.Wrap(&err, "Catalog.BatchGetTracks")
	ts, err := c.stores.Catalog.BatchGetTracks(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	return ts, missingTracks(ids, ts), nil
}

// missingTracks lists the ids, in order, that found has no track for.
func missingTracks(ids []string, found []*Track) []string {
	have := make(map[string]bool, len(found))
	for _, t := range found {
		have[t.ID] = true
	}
	var missing []string
	for _, id := range ids {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	return missing
}

func (c *Catalog) Search(ctx context.Context, query string, types []ItemType, pg Page) (_ []SearchHit, _ string, err error) {
	defer derrors.Wrap(&err, "Catalog.Search(%q)", query)
	ctx, end := startSpan(ctx, "Catalog.Search")
	defer func() { end(err) }()
	search := c.stores.Catalog.Search
	if c.engine != nil {
		search = c.searchEngine
	}
	hits, next, err := search(ctx, query, types, pg)
	if err != nil {
		return nil, "", err
	}
	return hits, next, nil
}

// primaryArtist is the artist whose managers manage an album or track.
func primaryArtist(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}
