package cassandra

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

type playlistStore struct{ *Store }

const playlistColumns = `id, owner_id, name, description, public, collaborative, collaborator_ids, track_count, create_time, update_time`

type playlistRow struct {
	ID              string    `db:"id"`
	OwnerID         string    `db:"owner_id"`
	Name            string    `db:"name"`
	Description     string    `db:"description"`
	Public          bool      `db:"public"`
	Collaborative   bool      `db:"collaborative"`
	CollaboratorIDs []string  `db:"collaborator_ids"`
	TrackCount      int       `db:"track_count"`
	CreateTime      time.Time `db:"create_time"`
	UpdateTime      time.Time `db:"update_time"`
}

func (s *Store) playlistRow(ctx context.Context, id string) (*playlistRow, error) {
	var r playlistRow
	if err := s.read(ctx, `SELECT `+playlistColumns+` FROM playlists WHERE id = ?`, id).Get(&r); err != nil {
		return nil, notFound(err, "playlist", id)
	}
	return &r, nil
}

func (p playlistStore) GetPlaylist(ctx context.Context, id string) (_ *domain.Playlist, err error) {
	defer wrap(&err, "cassandra.GetPlaylist(%q)", id)
	r, err := p.playlistRow(ctx, id)
	if err != nil {
		return nil, err
	}
	var followers int64
	err = p.read(ctx, `SELECT followers FROM playlist_follower_counts WHERE playlist_id = ?`, id).Scan(&followers)
	if err != nil && !errors.Is(err, gocql.ErrNotFound) {
		return nil, err
	}
	// The entry count and the last entry edit live with the entries (012),
	// but for playlists last edited before.
	count, edited, ok, err := p.entryCount(ctx, id)
	if err != nil {
		return nil, err
	}
	if ok {
		r.TrackCount = count
		if edited.After(r.UpdateTime) {
			r.UpdateTime = edited
		}
	}
	return &domain.Playlist{ID: r.ID, OwnerID: r.OwnerID, Name: r.Name, Description: r.Description, Public: r.Public,
		Collaborative: r.Collaborative, CollaboratorIDs: r.CollaboratorIDs, TrackCount: r.TrackCount,
		FollowerCount: followers, CreateTime: r.CreateTime, UpdateTime: r.UpdateTime.UTC()}, nil
}

func (p playlistStore) CreatePlaylist(ctx context.Context, pl *domain.Playlist) (err error) {
	defer wrap(&err, "cassandra.CreatePlaylist(%q)", pl.ID)
	applied, err := p.once(ctx, `INSERT INTO playlists (id, owner_id, name, description, public, collaborative, track_count, create_time, update_time) `+
		`VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?) IF NOT EXISTS`,
		pl.ID, pl.OwnerID, pl.Name, pl.Description, pl.Public, pl.Collaborative, msTime(pl.CreateTime), msTime(pl.UpdateTime)).ExecCAS()
	if err == nil && !applied {
		err = domain.AlreadyExists("id", "playlist %q already exists", pl.ID)
	}
	if err == nil {
		b := p.logged(ctx)
		b.add(`INSERT INTO playlists_by_owner (owner_id, create_time, playlist_id) VALUES (?, ?, ?)`, pl.OwnerID, msTime(pl.CreateTime), pl.ID)
		if pl.Public {
			b.add(`INSERT INTO public_playlists_by_owner (owner_id, create_time, playlist_id) VALUES (?, ?, ?)`, pl.OwnerID, msTime(pl.CreateTime), pl.ID)
		}
		b.feed(kindPlaylist, pl.ID)
		err = p.exec(b)
	}
	if err != nil {
		return err
	}
	return nil
}

func (p playlistStore) UpdatePlaylist(ctx context.Context, pl *domain.Playlist) (err error) {
	defer wrap(&err, "cassandra.UpdatePlaylist(%q)", pl.ID)
	old, err := p.playlistRow(ctx, pl.ID)
	if err != nil {
		return err
	}
	applied, err := p.once(ctx, `UPDATE playlists SET name = ?, description = ?, public = ?, collaborative = ?, update_time = ? WHERE id = ? IF EXISTS`,
		pl.Name, pl.Description, pl.Public, pl.Collaborative, msTime(pl.UpdateTime), pl.ID).ExecCAS()
	if err != nil {
		return err
	}
	if !applied {
		return domain.NotFound("playlist", pl.ID)
	}
	switch {
	case pl.Public && !old.Public:
		err = p.write(ctx, `INSERT INTO public_playlists_by_owner (owner_id, create_time, playlist_id) VALUES (?, ?, ?)`, old.OwnerID, old.CreateTime, pl.ID).Exec()
	case !pl.Public && old.Public:
		err = p.write(ctx, `DELETE FROM public_playlists_by_owner WHERE owner_id = ? AND create_time = ? AND playlist_id = ?`, old.OwnerID, old.CreateTime, pl.ID).Exec()
	}
	if err != nil {
		return err
	}
	// The update was a lightweight transaction, which cannot share a batch
	// with other partitions: the record follows it.
	return p.feed(ctx, kindPlaylist, pl.ID)
}

// deletePlaylist removes entries, follows, memberships and listings, and
// the playlist row last, so a delete that fails half-way can be run again.
func (p playlistStore) DeletePlaylist(ctx context.Context, id string) (err error) {
	defer wrap(&err, "cassandra.DeletePlaylist(%q)", id)
	pl, err := p.playlistRow(ctx, id)
	if err != nil {
		return err
	}
	entries, err := p.allEntries(ctx, id)
	if err != nil {
		return err
	}
	uses := make([]*domain.PlaylistEntry, len(entries))
	for i, e := range entries {
		uses[i] = &domain.PlaylistEntry{ID: e.EntryID, TrackID: e.TrackID}
	}
	if err := p.writeEach(ctx, trackUses(id, uses, `DELETE FROM playlists_by_track WHERE track_id = ? AND shard = ? AND playlist_id = ? AND entry_id = ?`)); err != nil {
		return err
	}
	for shard := range followShards {
		var fans []string
		if err := p.read(ctx, `SELECT user_id FROM playlist_followers WHERE playlist_id = ? AND shard = ?`, id, shard).Select(&fans); err != nil {
			return err
		}
		follows := make([]stmt, len(fans))
		for i, fan := range fans {
			follows[i] = stmt{`DELETE FROM playlist_follows_by_user WHERE user_id = ? AND playlist_id = ?`, []any{fan, id}}
		}
		if err := p.writeEach(ctx, follows); err != nil {
			return err
		}
		if err := p.write(ctx, `DELETE FROM playlist_followers WHERE playlist_id = ? AND shard = ?`, id, shard).Exec(); err != nil {
			return err
		}
	}
	b := p.logged(ctx)
	b.add(`DELETE FROM playlist_entries WHERE playlist_id = ?`, id)
	b.add(`DELETE FROM playlist_entries_by_id WHERE playlist_id = ?`, id)
	for _, c := range pl.CollaboratorIDs {
		b.add(`DELETE FROM playlists_by_collaborator WHERE user_id = ? AND playlist_id = ?`, c, id)
	}
	b.add(`DELETE FROM playlists_by_owner WHERE owner_id = ? AND create_time = ? AND playlist_id = ?`, pl.OwnerID, pl.CreateTime, id)
	b.add(`DELETE FROM public_playlists_by_owner WHERE owner_id = ? AND create_time = ? AND playlist_id = ?`, pl.OwnerID, pl.CreateTime, id)
	if err := p.exec(b); err != nil {
		return err
	}
	if err := p.write(ctx, `DELETE FROM playlist_follower_counts WHERE playlist_id = ?`, id).Exec(); err != nil {
		return err
	}
	applied, err := p.once(ctx, `DELETE FROM playlists WHERE id = ? IF EXISTS`, id).ExecCAS()
	if err != nil {
		return err
	}
	if !applied {
		return domain.NotFound("playlist", id)
	}
	return p.feed(ctx, kindPlaylist, id)
}

type entryRow struct {
	EntryID string    `db:"entry_id"`
	Pos     string    `db:"pos"`
	TrackID string    `db:"track_id"`
	AddedBy string    `db:"added_by"`
	AddTime time.Time `db:"add_time"`
}

type ownedRef struct {
	CreateTime time.Time `db:"create_time"`
	PlaylistID string    `db:"playlist_id"`
}

func (p playlistStore) ListPlaylistsByOwner(ctx context.Context, ownerID string, publicOnly bool, pg domain.Page) (_ []*domain.Playlist, _ string, err error) {
	defer wrap(&err, "cassandra.ListPlaylistsByOwner(%q)", ownerID)
	cur, resume, err := pagetoken.Read(pg, ofPlaylists)
	if err != nil {
		return nil, "", err
	}
	var refs []ownedRef
	switch {
	case publicOnly && !resume:
		err = p.read(ctx, `SELECT create_time, playlist_id FROM public_playlists_by_owner WHERE owner_id = ? LIMIT ?`, ownerID, pg.Size+1).Select(&refs)
	case publicOnly:
		err = p.read(ctx, `SELECT create_time, playlist_id FROM public_playlists_by_owner WHERE owner_id = ? AND (create_time, playlist_id) < (?, ?) LIMIT ?`,
			ownerID, time.UnixMilli(cur.N), cur.ID, pg.Size+1).Select(&refs)
	case !resume:
		err = p.read(ctx, `SELECT create_time, playlist_id FROM playlists_by_owner WHERE owner_id = ? LIMIT ?`, ownerID, pg.Size+1).Select(&refs)
	default:
		err = p.read(ctx, `SELECT create_time, playlist_id FROM playlists_by_owner WHERE owner_id = ? AND (create_time, playlist_id) < (?, ?) LIMIT ?`,
			ownerID, time.UnixMilli(cur.N), cur.ID, pg.Size+1).Select(&refs)
	}
	if err != nil {
		return nil, "", err
	}
	refs, next := pagetoken.Page(refs, pg.Size, func(last ownedRef) pagetoken.Cursor {
		return pagetoken.Cursor{List: ofPlaylists, N: last.CreateTime.UnixMilli(), ID: last.PlaylistID}
	})
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.PlaylistID
	}
	pls, err := fetchAll(ctx, ids, p.GetPlaylist)
	if err != nil {
		return nil, "", err
	}
	return pls, next, nil
}

// Follows.

func (p playlistStore) FollowPlaylist(ctx context.Context, userID, playlistID string) (err error) {
	defer wrap(&err, "cassandra.FollowPlaylist(%q, %q)", userID, playlistID)
	if _, err := p.playlistRow(ctx, playlistID); err != nil {
		return err
	}
	// Only the follow that applied moves the counter, so following twice,
	// even at once, counts once.
	applied, err := p.once(ctx, `INSERT INTO playlist_follows_by_user (user_id, playlist_id) VALUES (?, ?) IF NOT EXISTS`, userID, playlistID).ExecCAS()
	if err == nil && applied {
		err = p.write(ctx, `INSERT INTO playlist_followers (playlist_id, shard, user_id) VALUES (?, ?, ?)`,
			playlistID, shardOf(userID, followShards), userID).Exec()
		if err == nil {
			err = p.once(ctx, `UPDATE playlist_follower_counts SET followers = followers + 1 WHERE playlist_id = ?`, playlistID).Exec()
		}
	}
	if err != nil {
		return err
	}
	return nil
}

func (p playlistStore) UnfollowPlaylist(ctx context.Context, userID, playlistID string) (err error) {
	defer wrap(&err, "cassandra.UnfollowPlaylist(%q, %q)", userID, playlistID)
	applied, err := p.once(ctx, `DELETE FROM playlist_follows_by_user WHERE user_id = ? AND playlist_id = ? IF EXISTS`, userID, playlistID).ExecCAS()
	if err == nil && applied {
		err = p.write(ctx, `DELETE FROM playlist_followers WHERE playlist_id = ? AND shard = ? AND user_id = ?`,
			playlistID, shardOf(userID, followShards), userID).Exec()
		if err == nil {
			err = p.once(ctx, `UPDATE playlist_follower_counts SET followers = followers - 1 WHERE playlist_id = ?`, playlistID).Exec()
		}
	}
	return err
}

func (p playlistStore) IsFollowingPlaylist(ctx context.Context, userID, playlistID string) (_ bool, err error) {
	defer wrap(&err, "cassandra.IsFollowingPlaylist(%q, %q)", userID, playlistID)
	var id string
	err = p.read(ctx, `SELECT playlist_id FROM playlist_follows_by_user WHERE user_id = ? AND playlist_id = ?`, userID, playlistID).Scan(&id)
	if errors.Is(err, gocql.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// Collaborators.

func (p playlistStore) AddCollaborator(ctx context.Context, playlistID, userID string) (err error) {
	defer wrap(&err, "cassandra.AddCollaborator(%q, %q)", playlistID, userID)
	applied, err := p.once(ctx, `UPDATE playlists SET collaborator_ids = collaborator_ids + ? WHERE id = ? IF EXISTS`, []string{userID}, playlistID).ExecCAS()
	if err == nil && !applied {
		err = domain.NotFound("playlist", playlistID)
	}
	if err == nil {
		err = p.write(ctx, `INSERT INTO playlists_by_collaborator (user_id, playlist_id) VALUES (?, ?)`, userID, playlistID).Exec()
	}
	if err != nil {
		return err
	}
	return nil
}

func (p playlistStore) RemoveCollaborator(ctx context.Context, playlistID, userID string) (err error) {
	defer wrap(&err, "cassandra.RemoveCollaborator(%q, %q)", playlistID, userID)
	applied, err := p.once(ctx, `UPDATE playlists SET collaborator_ids = collaborator_ids - ? WHERE id = ? IF EXISTS`, []string{userID}, playlistID).ExecCAS()
	if err == nil && !applied {
		err = domain.NotFound("playlist", playlistID)
	}
	if err == nil || domain.IsKind(err, domain.KindNotFound) {
		if derr := p.write(ctx, `DELETE FROM playlists_by_collaborator WHERE user_id = ? AND playlist_id = ?`, userID, playlistID).Exec(); derr != nil {
			return derr
		}
	}
	return err
}

// Cascades of a user's deletion.

func (p playlistStore) deletePlaylistsOf(ctx context.Context, userID string) error {
	var ids []string
	if err := p.read(ctx, `SELECT playlist_id FROM playlists_by_owner WHERE owner_id = ?`, userID).Select(&ids); err != nil {
		return err
	}
	for _, id := range ids {
		if err := p.DeletePlaylist(ctx, id); err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return err
		}
	}
	b := p.logged(ctx)
	b.add(`DELETE FROM playlists_by_owner WHERE owner_id = ?`, userID)
	b.add(`DELETE FROM public_playlists_by_owner WHERE owner_id = ?`, userID)
	return p.exec(b)
}

func (p playlistStore) unfollowAllOf(ctx context.Context, userID string) error {
	var ids []string
	if err := p.read(ctx, `SELECT playlist_id FROM playlist_follows_by_user WHERE user_id = ?`, userID).Select(&ids); err != nil {
		return err
	}
	for _, id := range ids {
		if err := p.UnfollowPlaylist(ctx, userID, id); err != nil {
			return err
		}
	}
	return nil
}

func (p playlistStore) leaveAllOf(ctx context.Context, userID string) error {
	var ids []string
	if err := p.read(ctx, `SELECT playlist_id FROM playlists_by_collaborator WHERE user_id = ?`, userID).Select(&ids); err != nil {
		return err
	}
	for _, id := range ids {
		if err := p.RemoveCollaborator(ctx, id, userID); err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return err
		}
	}
	return nil
}

// jitter spreads out retries of a lost compare-and-set.
func jitter(attempt int) time.Duration {
	return time.Duration(1+rand.IntN(5*(attempt+1))) * time.Millisecond
}
