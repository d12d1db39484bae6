package app_test

import (
	"fmt"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// BenchmarkHotPath drives GetTrack and GetPlaylist through the whole stack
// in process (client and server share it), for CPU profiles of the read
// path: go test -run '^$' -bench HotPath -cpuprofile cpu.out ./server/app/
// Throughput against the bare floor is bench.sh MODE=cache's job.
func BenchmarkHotPath(b *testing.B) {
	s := apptest.Start(b)
	ctx := apptest.Context(b)
	tok, _ := s.RegisterAdmin(b, "root")
	root := apptest.NewAPI(apptest.H2CClient(), s.URL(), tok)
	art, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Band"}}))
	apptest.MustOK(b, "CreateArtist", err)
	var ids []string
	for i := range 50 {
		trk, err := root.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{
			Title: fmt.Sprintf("Track %d", i), ArtistIds: []string{art.Msg.Artist.Id}, Genres: []string{"rock"}}}))
		apptest.MustOK(b, "CreateTrack", err)
		ids = append(ids, trk.Msg.Track.Id)
	}
	pl, err := root.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Mix", Public: true}}))
	apptest.MustOK(b, "CreatePlaylist", err)
	_, err = root.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pl.Msg.Playlist.Id, TrackIds: ids}))
	apptest.MustOK(b, "AddTracks", err)

	b.Run("GetTrack", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i++
				_, err := root.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: ids[i%len(ids)]}))
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("GetPlaylist", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, err := root.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: pl.Msg.Playlist.Id}))
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
