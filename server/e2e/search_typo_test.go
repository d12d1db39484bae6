package e2e

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestSearchToleratesTypos: on the embedded store and on Cassandra with
// OpenSearch, a listener who misspells a name still finds it, and what
// they typed right still comes first.
func TestSearchToleratesTypos(t *testing.T) {
	if os.Getenv("BACKBEAT_E2E_STORE") == "cassandra" && !searchEngine() {
		// The Cassandra store's own prefix table reads candidates by the
		// query's prefix, so a misspelt word has none.
		t.Skip("typo tolerance on Cassandra comes with its search engine (BACKBEAT_OPENSEARCH=1)")
	}
	s := startServer(t, t.TempDir())
	ctx := apptest.Context(t)
	c := as(s, registerAdmin(t, s, "root"))
	artist := func(name string) string {
		r, err := c.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: name}}))
		apptest.MustOK(t, "CreateArtist", err)
		return r.Msg.Artist.Id
	}
	track := func(title string, artistID string) {
		_, err := c.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: title, ArtistIds: []string{artistID}}}))
		apptest.MustOK(t, "CreateTrack", err)
	}
	beyonce, daft := artist("Beyoncé"), artist("Daft Punk")
	track("Halo", beyonce)
	track("Halos", daft)
	track("One More Time", daft)

	for _, c2 := range []struct {
		query string
		want  []string
	}{
		{"beyonse", []string{"artist:Beyoncé", "track:Halo"}},
		{"daftt pnuk", []string{"artist:Daft Punk", "track:Halos", "track:One More Time"}},
		// "halo" finds what it spells; "hallo" and "haol" are one edit
		// from "halo" (a doubled letter, swapped letters), two from "halos".
		{"halo", []string{"track:Halo", "track:Halos"}},
		{"hallo", []string{"track:Halo"}},
		{"haol", []string{"track:Halo"}},
	} {
		err := apptest.Eventually(t, func() error {
			r, err := c.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: c2.query}))
			if err != nil {
				return err
			}
			if got := apptest.SearchTitles(r.Msg); !slices.Equal(got, c2.want) {
				return fmt.Errorf("Search(%q) = %v, want %v", c2.query, got, c2.want)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
}
