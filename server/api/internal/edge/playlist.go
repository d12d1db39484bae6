package edge

import (
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/domain"
)

// Playlist converts pl: the playlist service answers it, and Search finds
// public playlists.
func Playlist(pl *domain.Playlist) *playlistv1.Playlist {
	if pl == nil {
		return nil
	}
	return &playlistv1.Playlist{
		Id:              pl.ID,
		OwnerId:         pl.OwnerID,
		Name:            pl.Name,
		Description:     pl.Description,
		Public:          pl.Public,
		Collaborative:   pl.Collaborative,
		CollaboratorIds: pl.CollaboratorIDs,
		TrackCount:      Int32(pl.TrackCount),
		FollowerCount:   pl.FollowerCount,
		CreateTime:      Timestamp(pl.CreateTime),
		UpdateTime:      Timestamp(pl.UpdateTime),
	}
}
