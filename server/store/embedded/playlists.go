package embedded

import (
	"context"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

type playlistStore struct{ *Store }

// Collaborators come from their own table, in the order they were added, so
// a deleted user leaves every playlist by cascade with nothing to rewrite.
const playlistCols = `id, owner_id, name, description, public, collaborative, track_count, follower_count,
	create_time, update_time,
	(SELECT json_group_array(user_id) FROM
		(SELECT user_id FROM playlist_collaborators c WHERE c.playlist_id = p.id ORDER BY c.rowid))`

func scanPlaylist(sc scanner) (*domain.Playlist, error) {
	var pl domain.Playlist
	var public, collab int
	var ct, ut int64
	var collaborators string
	if err := sc.Scan(&pl.ID, &pl.OwnerID, &pl.Name, &pl.Description, &public, &collab, &pl.TrackCount,
		&pl.FollowerCount, &ct, &ut, &collaborators); err != nil {
		return nil, err
	}
	var err error
	if pl.CollaboratorIDs, err = colList[string](collaborators); err != nil {
		return nil, err
	}
	pl.Public, pl.Collaborative = public != 0, collab != 0
	pl.CreateTime, pl.UpdateTime = colTime(ct), colTime(ut)
	return &pl, nil
}

// CreatePlaylist stores pl with no collaborators and zero counts, whatever
// pl holds (see domain.PlaylistStore).
func (s playlistStore) CreatePlaylist(ctx context.Context, pl *domain.Playlist) (err error) {
	defer derrors.Wrap(&err, "embedded.CreatePlaylist(%q)", pl.ID)
	return catalogStore(s).catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		if err := requireAll(ctx, tx, "users", "user", []string{pl.OwnerID}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO playlists (id, owner_id, name, description, public, collaborative,
			create_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			pl.ID, pl.OwnerID, pl.Name, pl.Description, boolCol(pl.Public), boolCol(pl.Collaborative),
			timeCol(pl.CreateTime), timeCol(pl.UpdateTime))
		if uniqueViolation(err, "playlists.id") {
			return domain.AlreadyExists("id", "playlist %q already exists", pl.ID)
		}
		if err != nil {
			return err
		}
		ch.playlistChange(pl)
		return nil
	})
}

func (s playlistStore) GetPlaylist(ctx context.Context, id string) (pl *domain.Playlist, err error) {
	defer derrors.Wrap(&err, "embedded.GetPlaylist(%q)", id)
	return getOne(ctx, s.rq(ctx), "SELECT "+playlistCols+" FROM playlists p WHERE id = ?", scanPlaylist, "playlist", id)
}

func (s playlistStore) UpdatePlaylist(ctx context.Context, pl *domain.Playlist) (err error) {
	defer derrors.Wrap(&err, "embedded.UpdatePlaylist(%q)", pl.ID)
	return catalogStore(s).catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		res, err := tx.ExecContext(ctx, `UPDATE playlists SET name = ?, description = ?, public = ?, collaborative = ?,
			update_time = ? WHERE id = ?`,
			pl.Name, pl.Description, boolCol(pl.Public), boolCol(pl.Collaborative), timeCol(pl.UpdateTime), pl.ID)
		if err != nil {
			return err
		}
		ch.playlistChange(pl)
		return requireRow(res, "playlist", pl.ID)
	})
}

func (s playlistStore) DeletePlaylist(ctx context.Context, id string) (err error) {
	defer derrors.Wrap(&err, "embedded.DeletePlaylist(%q)", id)
	// Entries, follows and collaborators go by cascade.
	return catalogStore(s).catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM playlists WHERE id = ?", id)
		if err != nil {
			return err
		}
		ch.remove(search.KindPlaylist, id)
		return requireRow(res, "playlist", id)
	})
}

// ListPlaylistsByOwner orders by id, newest first: ids begin with their
// creation time.
func (s playlistStore) ListPlaylistsByOwner(ctx context.Context, ownerID string, publicOnly bool, p domain.Page) (pls []*domain.Playlist, next string, err error) {
	defer derrors.Wrap(&err, "embedded.ListPlaylistsByOwner(%q)", ownerID)
	cur, after, err := pagetoken.Read(p, listPlaylists)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(s.rq(ctx).QueryContext(ctx, "SELECT "+playlistCols+` FROM playlists p
		WHERE owner_id = ?1 AND (NOT ?2 OR public) AND (NOT ?3 OR id < ?4) ORDER BY id DESC LIMIT ?5`,
		ownerID, publicOnly, after, cur.ID, p.Size+1)), scanPlaylist)
	if err != nil {
		return nil, "", err
	}
	pls, next = pagetoken.Page(rows, p.Size, func(pl *domain.Playlist) pagetoken.Cursor { return pagetoken.Cursor{List: listPlaylists, ID: pl.ID} })
	return pls, next, nil
}

// FollowPlaylist fails NotFound for a missing user or playlist; the follower
// count is kept by a trigger.
func (s playlistStore) FollowPlaylist(ctx context.Context, userID, playlistID string) (err error) {
	defer derrors.Wrap(&err, "embedded.FollowPlaylist(%q, %q)", userID, playlistID)
	return s.write(ctx, func(tx querier) error {
		_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO playlist_follows (user_id, playlist_id) VALUES (?, ?)", userID, playlistID)
		if foreignKeyViolation(err) {
			if err := requireAll(ctx, tx, "users", "user", []string{userID}); err != nil {
				return err
			}
			return domain.NotFound("playlist", playlistID)
		}
		return err
	})
}

func (s playlistStore) UnfollowPlaylist(ctx context.Context, userID, playlistID string) (err error) {
	defer derrors.Wrap(&err, "embedded.UnfollowPlaylist(%q, %q)", userID, playlistID)
	_, err = s.wq(ctx).ExecContext(ctx, "DELETE FROM playlist_follows WHERE user_id = ? AND playlist_id = ?", userID, playlistID)
	return err
}

func (s playlistStore) IsFollowingPlaylist(ctx context.Context, userID, playlistID string) (following bool, err error) {
	defer derrors.Wrap(&err, "embedded.IsFollowingPlaylist(%q, %q)", userID, playlistID)
	err = s.rq(ctx).QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM playlist_follows WHERE user_id = ? AND playlist_id = ?)",
		userID, playlistID).Scan(&following)
	return following, err
}

func (s playlistStore) AddCollaborator(ctx context.Context, playlistID, userID string) (err error) {
	defer derrors.Wrap(&err, "embedded.AddCollaborator(%q, %q)", playlistID, userID)
	return s.write(ctx, func(tx querier) error {
		_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO playlist_collaborators (playlist_id, user_id) VALUES (?, ?)",
			playlistID, userID)
		if foreignKeyViolation(err) {
			if err := requireAll(ctx, tx, "playlists", "playlist", []string{playlistID}); err != nil {
				return err
			}
			return domain.NotFound("user", userID)
		}
		return err
	})
}

func (s playlistStore) RemoveCollaborator(ctx context.Context, playlistID, userID string) (err error) {
	defer derrors.Wrap(&err, "embedded.RemoveCollaborator(%q, %q)", playlistID, userID)
	_, err = s.wq(ctx).ExecContext(ctx, "DELETE FROM playlist_collaborators WHERE playlist_id = ? AND user_id = ?", playlistID, userID)
	return err
}
