package playlistapi

import (
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/api/internal/edge"
	"github.com/backbeat/backbeat/server/domain"
)

func playlistToProto(pl *domain.Playlist) *playlistv1.Playlist { return edge.Playlist(pl) }

func playlistsToProto(pls []*domain.Playlist) []*playlistv1.Playlist {
	out := make([]*playlistv1.Playlist, len(pls))
	for i, pl := range pls {
		out[i] = playlistToProto(pl)
	}
	return out
}

func entriesToProto(es []*domain.PlaylistEntry) []*playlistv1.PlaylistEntry {
	out := make([]*playlistv1.PlaylistEntry, len(es))
	for i, e := range es {
		out[i] = &playlistv1.PlaylistEntry{
			EntryId:       e.ID,
			TrackId:       e.TrackID,
			AddedByUserId: e.AddedBy,
			AddTime:       edge.Timestamp(e.AddTime),
		}
	}
	return out
}
