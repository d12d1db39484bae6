package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/testenv/netcut"
	"github.com/backbeat/backbeat/server/testenv/opensearchtest"
)

func requireSearchEngine(t *testing.T) {
	t.Helper()
	requireE2E(t)
	if !searchEngine() {
		t.Skip("needs BACKBEAT_E2E_STORE=cassandra and BACKBEAT_OPENSEARCH=1")
	}
}

// keyspaceOf is the keyspace storeFlags gives dataDir.
func keyspaceOf(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return "e2e_" + hex.EncodeToString(sum[:8])
}

// searchCmd runs 'backbeat search ...' against s's store and searchURL.
func searchCmd(t *testing.T, s *server, searchURL string, args ...string) string {
	t.Helper()
	all := append(append([]string{"search"}, args...), "--data-dir", s.dataDir, "--search-url", searchURL)
	all = append(all, s.storeArgs...)
	out, err := exec.Command(binary, all...).CombinedOutput()
	if err != nil {
		t.Fatalf("backbeat %v: %v\n%s", all, err, out)
	}
	return string(out)
}

func searchFor(t *testing.T, c apptest.API, query, want string) error {
	return apptest.Eventually(t, func() error {
		r, err := c.Catalog.Search(apptest.Context(t), connect.NewRequest(&catalogv1.SearchRequest{Query: query}))
		if err != nil {
			return err
		}
		if got := apptest.SearchTitles(r.Msg); !slices.Contains(got, want) {
			return fmt.Errorf("Search(%q) = %v, want %s", query, got, want)
		}
		return nil
	})
}

// TestSearchEngineOnCassandra: the Cassandra deployment's Search runs on
// OpenSearch. A write becomes searchable; 'backbeat search status' shows
// the lag; with OpenSearch gone Search answers unavailable with a clear
// message while every other RPC works, and what was written meanwhile is
// found once it is back; 'backbeat search reindex' into an empty index
// rebuilds the same documents as the live one.
func TestSearchEngineOnCassandra(t *testing.T) {
	requireSearchEngine(t)
	node := opensearchtest.Shared(t)
	p := netcut.Start(t, strings.TrimPrefix(node.URL, "http://"))
	searchURL := "http://" + p.Addr()
	s := startServer(t, t.TempDir(), "--search-url", searchURL)
	ctx := apptest.Context(t)
	c := as(s, registerAdmin(t, s, "root"))

	art, err := c.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Sigur Rós"}}))
	apptest.MustOK(t, "CreateArtist", err)
	artistID := art.Msg.Artist.Id
	_, err = c.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Hoppípolla", ArtistIds: []string{artistID}}}))
	apptest.MustOK(t, "CreateTrack", err)
	apptest.MustOK(t, "track searchable", searchFor(t, c, "sigur hoppipolla", "track:Hoppípolla"))
	// Typo tolerance comes with the engine.
	apptest.MustOK(t, "typo", searchFor(t, c, "sigurr", "artist:Sigur Rós"))

	status := searchCmd(t, s, searchURL, "status")
	if !regexp.MustCompile(`search index lag \d`).MatchString(status) {
		t.Errorf("backbeat search status:\n%s", status)
	}
	t.Logf("%s", strings.TrimSpace(status))

	p.Cut()
	_, err = c.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "sigur"}))
	apptest.WantCode(t, err, connect.CodeUnavailable)
	if !strings.Contains(err.Error(), "search is unavailable") {
		t.Errorf("Search while OpenSearch is down: %v, want a message saying search is unavailable", err)
	}
	// Everything else works: reads, writes, accounts.
	_, err = c.Catalog.GetArtist(ctx, connect.NewRequest(&catalogv1.GetArtistRequest{ArtistId: artistID}))
	apptest.MustOK(t, "GetArtist while OpenSearch is down", err)
	_, err = c.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Svefn-g-englar", ArtistIds: []string{artistID}}}))
	apptest.MustOK(t, "CreateTrack while OpenSearch is down", err)
	_, err = c.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.MustOK(t, "GetMe while OpenSearch is down", err)

	p.Restore(t)
	apptest.MustOK(t, "catch-up after OpenSearch is back", searchFor(t, c, "svefn", "track:Svefn-g-englar"))

	live := "backbeat-" + keyspaceOf(s.dataDir)
	rebuilt := live + "-rebuilt"
	out := searchCmd(t, s, node.URL, "reindex", "--index", rebuilt)
	if !strings.Contains(out, "reindex done: 3 documents") {
		t.Errorf("backbeat search reindex:\n%s", out)
	}
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, node.URL+"/"+rebuilt, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	got, want := indexDocs(t, node.URL, rebuilt), indexDocs(t, node.URL, live)
	if len(want) != 3 || !mapsEqual(got, want) {
		t.Errorf("rebuilt index:\n%v\nlive index:\n%v", got, want)
	}

	// A document the store no longer has, whose delete never reached the
	// engine (the feed's 7 days passed with no indexer running), is
	// removed by a reindex of the live index; the rest stays.
	req, _ := http.NewRequest(http.MethodPut, node.URL+"/"+live+"/_doc/track:gone?version=1&version_type=external_gte&refresh=true",
		strings.NewReader(`{"kind":"track","id":"gone","name":"ghost","popularity":0}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode >= 300 {
		t.Fatalf("writing a stale document: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, ok := indexDocs(t, node.URL, live)["track:gone"]; !ok {
		t.Fatal("the stale document is not in the live index")
	}
	out = searchCmd(t, s, node.URL, "reindex")
	if !strings.Contains(out, "reindex done: 3 documents") || !strings.Contains(out, "; 1 stale documents removed") {
		t.Errorf("backbeat search reindex of the live index:\n%s", out)
	}
	if after := indexDocs(t, node.URL, live); !mapsEqual(after, want) {
		t.Errorf("live index after reindex:\n%v\nwant:\n%v", after, want)
	}
}

// TestSearchIndexerTakeover: two replicas of one deployment, one indexer:
// the first holds the lease; killed (no clean shutdown), the second takes
// over and what is written after is searchable.
func TestSearchIndexerTakeover(t *testing.T) {
	requireSearchEngine(t)
	dir := t.TempDir()
	first := startServer(t, dir)
	waitLog := func(s *server, what string) {
		t.Helper()
		err := apptest.Eventually(t, func() error {
			if !strings.Contains(s.logs.String(), what) {
				return fmt.Errorf("no %q in the logs", what)
			}
			return nil
		})
		apptest.MustOK(t, what, err)
	}
	waitLog(first, "lease taken; this replica indexes")
	second := startServer(t, t.TempDir(), "--cassandra-keyspace", keyspaceOf(dir))
	registerAdmin(t, first, "root")
	waitLog(second, "another replica indexes")
	if strings.Contains(second.logs.String(), "lease taken") {
		t.Fatal("both replicas took the lease")
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	waitLog(second, "lease taken; this replica indexes")
	c := as(second, apptest.Login(t, anon(second), "root", apptest.Password).Tokens.AccessToken)
	apptest.WaitAdmin(t, c)
	_, err := c.Catalog.CreateArtist(apptest.Context(t), connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "After Takeover"}}))
	apptest.MustOK(t, "CreateArtist", err)
	apptest.MustOK(t, "searchable after takeover", searchFor(t, c, "takeover", "artist:After Takeover"))
}

// indexDocs returns an index's documents by id, as stored.
func indexDocs(t *testing.T, url, index string) map[string]string {
	t.Helper()
	if resp, err := http.Post(url+"/"+index+"/_refresh", "application/json", nil); err == nil {
		resp.Body.Close()
	}
	resp, err := http.Get(url + "/" + index + "/_search?size=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Hits struct {
			Hits []struct {
				ID     string          `json:"_id"`
				Source json.RawMessage `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, h := range body.Hits.Hits {
		out[h.ID] = string(h.Source)
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
