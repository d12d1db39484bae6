package domain

import (
	"context"
	"slices"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
)

// Playlists holds the rules for playlists. A private playlist is visible to
// its owner, its collaborators and admins; to anyone else it does not exist,
// so its existence never leaks. The owner (or an admin) changes details,
// collaborators and deletes; on a collaborative playlist collaborators edit
// the tracks too.
type Playlists struct {
	stores Stores
	now    func() time.Time
}

func NewPlaylists(stores Stores, now func() time.Time) *Playlists {
	if now == nil {
		now = time.Now
	}
	return &Playlists{stores: stores, now: now}
}

func isOwner(p Principal, pl *Playlist) bool { return pl.OwnerID == p.UserID || p.IsAdmin() }

func canSee(p Principal, pl *Playlist) bool {
	return pl.Public || isOwner(p, pl) || slices.Contains(pl.CollaboratorIDs, p.UserID)
}

func canEditTracks(p Principal, pl *Playlist) bool {
	return isOwner(p, pl) || (pl.Collaborative && slices.Contains(pl.CollaboratorIDs, p.UserID))
}

// visible loads a playlist p may see; an invisible one is NotFound.
func (s *Playlists) visible(ctx context.Context, p Principal, id string) (*Playlist, error) {
	pl, err := s.stores.Playlists.GetPlaylist(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canSee(p, pl) {
		return nil, NotFound("playlist", id)
	}
	return pl, nil
}

func (s *Playlists) owned(ctx context.Context, p Principal, id string) (*Playlist, error) {
	pl, err := s.visible(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !isOwner(p, pl) {
		return nil, PermissionDenied("only the playlist's owner may do this")
	}
	return pl, nil
}

func (s *Playlists) editable(ctx context.Context, p Principal, id string) (*Playlist, error) {
	pl, err := s.visible(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !canEditTracks(p, pl) {
		return nil, PermissionDenied("only the owner and, on collaborative playlists, collaborators may edit tracks")
	}
	return pl, nil
}

func (s *Playlists) Create(ctx context.Context, p Principal, pl *Playlist) (_ *Playlist, err error) {
	defer derrors.Wrap(&err, "Playlists.Create(%q)", pl.ID)
	now := s.now().UTC()
	pl.ID, pl.OwnerID, pl.CreateTime, pl.UpdateTime = NewID(), p.UserID, now, now
	pl.CollaboratorIDs, pl.TrackCount, pl.FollowerCount = nil, 0, 0
	if err := s.stores.Playlists.CreatePlaylist(ctx, pl); err != nil {
		return nil, err
	}
	return pl, nil
}

// Get returns a playlist and one page of its entries.
func (s *Playlists) Get(ctx context.Context, p Principal, id string, pg Page) (_ *Playlist, _ []*PlaylistEntry, _ string, err error) {
	defer derrors.Wrap(&err, "Playlists.Get(%q)", id)
	pl, err := s.visible(ctx, p, id)
	if err != nil {
		return nil, nil, "", err
	}
	entries, next, err := s.stores.Playlists.ListEntries(ctx, id, pg)
	if err != nil {
		return nil, nil, "", err
	}
	return pl, entries, next, nil
}

// List lists the caller's own playlists when userID is empty or the
// caller's, otherwise the user's public ones.
func (s *Playlists) List(ctx context.Context, p Principal, userID string, pg Page) (_ []*Playlist, _ string, err error) {
	defer derrors.Wrap(&err, "Playlists.List(%q)", userID)
	own := userID == "" || userID == p.UserID
	if own {
		userID = p.UserID
	} else if _, err := s.stores.Users.GetUser(ctx, userID); err != nil {
		return nil, "", err
	}
	pls, next, err := s.stores.Playlists.ListPlaylistsByOwner(ctx, userID, !own && !p.IsAdmin(), pg)
	if err != nil {
		return nil, "", err
	}
	return pls, next, nil
}

// Update applies the named fields: name, description, public, collaborative.
func (s *Playlists) Update(ctx context.Context, p Principal, patch *Playlist, fields []string) (_ *Playlist, err error) {
	defer derrors.Wrap(&err, "Playlists.Update(%q)", patch.ID)
	pl, err := s.owned(ctx, p, patch.ID)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		switch f {
		case "name":
			pl.Name = patch.Name
		case "description":
			pl.Description = patch.Description
		case "public":
			pl.Public = patch.Public
		case "collaborative":
			pl.Collaborative = patch.Collaborative
		default:
			return nil, Invalid("update_mask", "field %q cannot be updated", f)
		}
	}
	pl.UpdateTime = s.now().UTC()
	if err := s.stores.Playlists.UpdatePlaylist(ctx, pl); err != nil {
		return nil, err
	}
	return pl, nil
}

func (s *Playlists) Delete(ctx context.Context, p Principal, id string) (err error) {
	defer derrors.Wrap(&err, "Playlists.Delete(%q)", id)
	if _, err := s.owned(ctx, p, id); err != nil {
		return err
	}
	if err := s.stores.Playlists.DeletePlaylist(ctx, id); err != nil {
		return err
	}
	return nil
}

// AddTracks inserts tracks at position (appends when position < 0) and
// returns the new entries with the updated playlist.
func (s *Playlists) AddTracks(ctx context.Context, p Principal, id string, trackIDs []string, position int) (_ []*PlaylistEntry, _ *Playlist, err error) {
	defer derrors.Wrap(&err, "Playlists.AddTracks(%q)", id)
	if _, err := s.editable(ctx, p, id); err != nil {
		return nil, nil, err
	}
	found, err := s.stores.Catalog.BatchGetTracks(ctx, trackIDs)
	if err != nil {
		return nil, nil, err
	}
	if missing := missingTracks(trackIDs, found); len(missing) > 0 {
		return nil, nil, NotFound("track", missing[0])
	}
	now := s.now().UTC()
	entries := make([]*PlaylistEntry, len(trackIDs))
	for i, tid := range trackIDs {
		entries[i] = &PlaylistEntry{ID: NewID(), TrackID: tid, AddedBy: p.UserID, AddTime: now}
	}
	if err := s.stores.Playlists.AddEntries(ctx, id, entries, position); err != nil {
		return nil, nil, err
	}
	pl, err := s.stores.Playlists.GetPlaylist(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return entries, pl, nil
}

func (s *Playlists) RemoveTracks(ctx context.Context, p Principal, id string, entryIDs []string) (_ *Playlist, err error) {
	defer derrors.Wrap(&err, "Playlists.RemoveTracks(%q)", id)
	if _, err := s.editable(ctx, p, id); err != nil {
		return nil, err
	}
	if err := s.stores.Playlists.RemoveEntries(ctx, id, entryIDs); err != nil {
		return nil, err
	}
	return s.stores.Playlists.GetPlaylist(ctx, id)
}

func (s *Playlists) MoveTracks(ctx context.Context, p Principal, id string, entryIDs []string, beforeEntryID string) (_ *Playlist, err error) {
	defer derrors.Wrap(&err, "Playlists.MoveTracks(%q, %q)", id, beforeEntryID)
	if _, err := s.editable(ctx, p, id); err != nil {
		return nil, err
	}
	if err := s.stores.Playlists.MoveEntries(ctx, id, entryIDs, beforeEntryID); err != nil {
		return nil, err
	}
	return s.stores.Playlists.GetPlaylist(ctx, id)
}

func (s *Playlists) Follow(ctx context.Context, p Principal, id string) (err error) {
	defer derrors.Wrap(&err, "Playlists.Follow(%q)", id)
	if _, err := s.visible(ctx, p, id); err != nil {
		return err
	}
	if err := s.stores.Playlists.FollowPlaylist(ctx, p.UserID, id); err != nil {
		return err
	}
	return nil
}

// Unfollow works even on a playlist that has since turned private, so a
// follower can always let go of it.
func (s *Playlists) Unfollow(ctx context.Context, p Principal, id string) (err error) {
	defer derrors.Wrap(&err, "Playlists.Unfollow(%q)", id)
	pl, err := s.stores.Playlists.GetPlaylist(ctx, id)
	if err != nil {
		return err
	}
	if !canSee(p, pl) {
		following, err := s.stores.Playlists.IsFollowingPlaylist(ctx, p.UserID, id)
		if err != nil {
			return err
		}
		if !following {
			return NotFound("playlist", id)
		}
	}
	if err := s.stores.Playlists.UnfollowPlaylist(ctx, p.UserID, id); err != nil {
		return err
	}
	return nil
}

func (s *Playlists) AddCollaborator(ctx context.Context, p Principal, id, userID string) (_ *Playlist, err error) {
	defer derrors.Wrap(&err, "Playlists.AddCollaborator(%q, %q)", id, userID)
	pl, err := s.owned(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !pl.Collaborative {
		return nil, FailedPrecondition("playlist is not collaborative: make it collaborative first")
	}
	if userID == pl.OwnerID {
		return nil, Invalid("user_id", "the owner cannot be a collaborator")
	}
	if _, err := s.stores.Users.GetUser(ctx, userID); err != nil {
		return nil, err
	}
	if err := s.stores.Playlists.AddCollaborator(ctx, id, userID); err != nil {
		return nil, err
	}
	return s.stores.Playlists.GetPlaylist(ctx, id)
}

// RemoveCollaborator is for the owner, or for a collaborator leaving.
func (s *Playlists) RemoveCollaborator(ctx context.Context, p Principal, id, userID string) (_ *Playlist, err error) {
	defer derrors.Wrap(&err, "Playlists.RemoveCollaborator(%q, %q)", id, userID)
	pl, err := s.visible(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !isOwner(p, pl) && userID != p.UserID {
		return nil, PermissionDenied("only the owner removes other collaborators")
	}
	if err := s.stores.Playlists.RemoveCollaborator(ctx, id, userID); err != nil {
		return nil, err
	}
	return s.stores.Playlists.GetPlaylist(ctx, id)
}
