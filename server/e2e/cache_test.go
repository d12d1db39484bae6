package e2e

import (
	"os"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestCacheAcrossReplicas: three server processes on one Cassandra and one
// broker (A's embedded NATS, which B and C join by URL), each with its
// metadata cache. A track B has cached is seen updated on B soon after A
// changes it: B's cache TTL is an hour, so only the invalidation A publishes
// can do that; the time it took is printed. Then the broker goes (A stops)
// and B changes the track: C, which cached it and now misses the
// invalidation, serves the change within its TTL of 3 s.
func TestCacheAcrossReplicas(t *testing.T) {
	requireE2E(t)
	if os.Getenv("BACKBEAT_E2E_STORE") != "cassandra" {
		t.Skip("replicas share a Cassandra store: runs in the BACKBEAT_E2E_STORE=cassandra pass")
	}
	const ttlC = 3 * time.Second
	dirA, dirB, dirC := t.TempDir(), t.TempDir(), t.TempDir()
	natsAddr := freeAddr(t)
	keyspace := storeFlags(t, dirA)
	join := append([]string{"--nats-url", "nats://" + natsAddr, "--nats-user", brokerUser, "--nats-password", brokerPassword}, keyspace...)
	a := startServer(t, dirA, append(keyspace, brokerFlags(natsAddr)...)...)
	b := startServer(t, dirB, append(join, "--cache-ttl", "1h")...)
	c := startServer(t, dirC, append(join, "--cache-ttl", ttlC.String())...)
	ctx := apptest.Context(t)

	registerAdmin(t, a, "root")
	login := func(s *server) apptest.API {
		return as(s, apptest.Login(t, anon(s), "root", apptest.Password).Tokens.AccessToken)
	}
	onA, onB, onC := login(a), login(b), login(c)
	art, err := onA.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Band"}}))
	apptest.MustOK(t, "CreateArtist", err)
	trk, err := onA.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "v1", ArtistIds: []string{art.Msg.Artist.Id}}}))
	apptest.MustOK(t, "CreateTrack", err)
	id := trk.Msg.Track.Id
	title := func(api apptest.API) string {
		t.Helper()
		res, err := api.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: id}))
		apptest.MustOK(t, "GetTrack", err)
		return res.Msg.Track.Title
	}
	rename := func(api apptest.API, to string) time.Time {
		t.Helper()
		_, err := api.Catalog.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{
			Track: &catalogv1.Track{Id: id, Title: to}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}))
		apptest.MustOK(t, "UpdateTrack", err)
		return time.Now()
	}
	// waitTitle polls api until it serves want, and returns how long after
	// since that took. The bound is generous (a loaded machine); the figure
	// printed is the measurement.
	waitTitle := func(api apptest.API, want string, since time.Time, bound time.Duration) time.Duration {
		t.Helper()
		for title(api) != want {
			if time.Since(since) > bound {
				t.Fatalf("still not %q %v after the change", want, bound)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(since)
	}
	title(onB)
	title(onC)

	// The broker carries the invalidation; B's TTL could not.
	took := waitTitle(onB, "v2", rename(onA, "v2"), 30*time.Second)
	t.Logf("a change on replica A was served by replica B (cache TTL 1h) %v after A answered", took)
	if got := title(onA); got != "v2" {
		t.Errorf("A reads %q right after its own change", got)
	}

	// Without the broker, C's TTL bounds its staleness.
	title(onC)
	a.stop()
	changed := rename(onB, "v3")
	if got := title(onB); got != "v3" {
		t.Errorf("B reads %q right after its own change, with the broker down", got)
	}
	took = waitTitle(onC, "v3", changed, ttlC+30*time.Second)
	t.Logf("with the broker down, replica C (cache TTL %v) served B's change %v after B answered", ttlC, took)
}
