package catalogapi

import (
	"fmt"
	"time"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/api/internal/edge"
	"github.com/backbeat/backbeat/server/domain"
)

func artistToProto(a *domain.Artist) *catalogv1.Artist {
	if a == nil {
		return nil
	}
	return &catalogv1.Artist{
		Id:           a.ID,
		Name:         a.Name,
		Bio:          a.Bio,
		Genres:       a.Genres,
		ImageUrl:     a.ImageURL,
		OwnerUserIds: a.OwnerIDs,
		CreateTime:   edge.Timestamp(a.CreateTime),
		UpdateTime:   edge.Timestamp(a.UpdateTime),
	}
}

func albumToProto(a *domain.Album) *catalogv1.Album {
	if a == nil {
		return nil
	}
	return &catalogv1.Album{
		Id:          a.ID,
		Title:       a.Title,
		ArtistIds:   a.ArtistIDs,
		AlbumType:   albumTypeToProto(a.Type),
		Genres:      a.Genres,
		ReleaseDate: a.ReleaseDate,
		ArtworkUrl:  a.ArtworkURL,
		TrackCount:  edge.Int32(a.TrackCount),
		CreateTime:  edge.Timestamp(a.CreateTime),
		UpdateTime:  edge.Timestamp(a.UpdateTime),
	}
}

func trackToProto(t *domain.Track) *catalogv1.Track {
	if t == nil {
		return nil
	}
	return &catalogv1.Track{
		Id:           t.ID,
		Title:        t.Title,
		ArtistIds:    t.ArtistIDs,
		AlbumId:      t.AlbumID,
		DiscNumber:   edge.Int32(t.DiscNumber),
		TrackNumber:  edge.Int32(t.TrackNumber),
		Genres:       t.Genres,
		DurationMs:   t.Duration.Milliseconds(),
		Explicit:     t.Explicit,
		ReleaseDate:  t.ReleaseDate,
		Isrc:         t.ISRC,
		ArtworkUrl:   t.ArtworkURL,
		Status:       trackStatusToProto(t.Status),
		StatusReason: t.StatusReason,
		PlayCount:    t.PlayCount,
		CreateTime:   edge.Timestamp(t.CreateTime),
		UpdateTime:   edge.Timestamp(t.UpdateTime),
	}
}

func durationFromMs(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

func artistsToProto(as []*domain.Artist) []*catalogv1.Artist {
	out := make([]*catalogv1.Artist, len(as))
	for i, a := range as {
		out[i] = artistToProto(a)
	}
	return out
}

func albumsToProto(as []*domain.Album) []*catalogv1.Album {
	out := make([]*catalogv1.Album, len(as))
	for i, a := range as {
		out[i] = albumToProto(a)
	}
	return out
}

func tracksToProto(ts []*domain.Track) []*catalogv1.Track {
	out := make([]*catalogv1.Track, len(ts))
	for i, t := range ts {
		out[i] = trackToProto(t)
	}
	return out
}

// hitToProto fails on a hit with no item: the store promised exactly one, and
// an empty result would mislead a client more than an error does.
func hitToProto(h domain.SearchHit) (*catalogv1.SearchResult, error) {
	r := &catalogv1.SearchResult{Score: h.Score}
	switch {
	case h.Track != nil:
		r.Item = &catalogv1.SearchResult_Track{Track: trackToProto(h.Track)}
	case h.Album != nil:
		r.Item = &catalogv1.SearchResult_Album{Album: albumToProto(h.Album)}
	case h.Artist != nil:
		r.Item = &catalogv1.SearchResult_Artist{Artist: artistToProto(h.Artist)}
	case h.Playlist != nil:
		r.Item = &catalogv1.SearchResult_Playlist{Playlist: edge.Playlist(h.Playlist)}
	default:
		return nil, fmt.Errorf("search hit with score %v has no item", h.Score)
	}
	return r, nil
}

func albumTypeToProto(t domain.AlbumType) catalogv1.AlbumType {
	switch t {
	case domain.AlbumTypeAlbum:
		return catalogv1.AlbumType_ALBUM_TYPE_ALBUM
	case domain.AlbumTypeSingle:
		return catalogv1.AlbumType_ALBUM_TYPE_SINGLE
	case domain.AlbumTypeEP:
		return catalogv1.AlbumType_ALBUM_TYPE_EP
	case domain.AlbumTypeCompilation:
		return catalogv1.AlbumType_ALBUM_TYPE_COMPILATION
	default:
		return catalogv1.AlbumType_ALBUM_TYPE_UNSPECIFIED
	}
}

// albumTypeFromProto reads UNSPECIFIED as an album, the common case; numbers
// outside the enum (proto3 enums are open) are refused.
func albumTypeFromProto(t catalogv1.AlbumType) (domain.AlbumType, bool) {
	switch t {
	case catalogv1.AlbumType_ALBUM_TYPE_UNSPECIFIED, catalogv1.AlbumType_ALBUM_TYPE_ALBUM:
		return domain.AlbumTypeAlbum, true
	case catalogv1.AlbumType_ALBUM_TYPE_SINGLE:
		return domain.AlbumTypeSingle, true
	case catalogv1.AlbumType_ALBUM_TYPE_EP:
		return domain.AlbumTypeEP, true
	case catalogv1.AlbumType_ALBUM_TYPE_COMPILATION:
		return domain.AlbumTypeCompilation, true
	default:
		return "", false
	}
}

func trackStatusToProto(s domain.TrackStatus) catalogv1.TrackStatus {
	switch s {
	case domain.TrackPendingUpload:
		return catalogv1.TrackStatus_TRACK_STATUS_PENDING_UPLOAD
	case domain.TrackProcessing:
		return catalogv1.TrackStatus_TRACK_STATUS_PROCESSING
	case domain.TrackReady:
		return catalogv1.TrackStatus_TRACK_STATUS_READY
	case domain.TrackFailed:
		return catalogv1.TrackStatus_TRACK_STATUS_FAILED
	default:
		return catalogv1.TrackStatus_TRACK_STATUS_UNSPECIFIED
	}
}

// itemTypes pairs the API's item types with the domain's, both ways.
var itemTypes = map[catalogv1.ItemType]domain.ItemType{
	catalogv1.ItemType_ITEM_TYPE_TRACK:    domain.ItemTrack,
	catalogv1.ItemType_ITEM_TYPE_ALBUM:    domain.ItemAlbum,
	catalogv1.ItemType_ITEM_TYPE_ARTIST:   domain.ItemArtist,
	catalogv1.ItemType_ITEM_TYPE_PLAYLIST: domain.ItemPlaylist,
}

// itemTypeFromProto refuses UNSPECIFIED and unknown numbers: "all types" is
// said with an empty list, not with a placeholder value.
func itemTypeFromProto(t catalogv1.ItemType) (domain.ItemType, bool) {
	dt, ok := itemTypes[t]
	return dt, ok
}

func itemTypeToProto(t domain.ItemType) catalogv1.ItemType {
	for pb, dt := range itemTypes {
		if dt == t {
			return pb
		}
	}
	return catalogv1.ItemType_ITEM_TYPE_UNSPECIFIED
}

// TrackProto and AlbumProto convert for the services that answer with
// catalog entities of their own (the library).
func TrackProto(t *domain.Track) *catalogv1.Track { return trackToProto(t) }

func AlbumProto(a *domain.Album) *catalogv1.Album { return albumToProto(a) }
