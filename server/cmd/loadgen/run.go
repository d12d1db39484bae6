package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1/catalogv1connect"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1/playlistv1connect"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/user/v1/userv1connect"
)

// benchIDs is what seeding leaves for the load driver: ids to ask for and a
// user to sign in as.
type benchIDs struct {
	Username    string   `json:"username"`
	Password    string   `json:"password"`
	TrackIDs    []string `json:"track_ids"`
	PlaylistIDs []string `json:"playlist_ids"`
	Queries     []string `json:"queries"`
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8080", "server base URL")
	idsFile := fs.String("ids", "", "ids file written by 'loadgen seed' (not needed for -rpc baseline)")
	rpc := fs.String("rpc", "get-track", "get-track, search, get-playlist, create-playlist (a write) or baseline")
	proto := fs.String("protocol", "connect", "connect, connect-get or grpc")
	conc := fs.Int("c", 16, "concurrent callers (closed loop)")
	dur := fs.Duration("d", 10*time.Second, "how long to run")
	warm := fs.Duration("warmup", 2*time.Second, "unmeasured warm-up")
	flood := fs.Int("flood", 0, "connections flooding Login with wrong passwords meanwhile (not measured)")
	pace := fs.Float64("rate", 0, "calls per second per caller (0: back to back); a paced caller is a user, not a load")
	zipf := fs.Float64("zipf", 0, "pick ids with a Zipf distribution of this exponent (above 1: a few popular ids asked most, as real reads are); 0: uniformly")
	from := fs.String("from", "", "local address the measured calls leave from, e.g. 127.0.0.2 (another client than the flood)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var opts []connect.ClientOption
	switch *proto {
	case "connect":
	case "connect-get":
		opts = append(opts, connect.WithHTTPGet())
	case "grpc":
		opts = append(opts, connect.WithGRPC())
	default:
		return fmt.Errorf("-protocol: unknown %q", *proto)
	}
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	hc := &http.Client{Transport: fromAddr(&http.Transport{Protocols: p, MaxIdleConnsPerHost: *conc}, *from)}
	ctx := context.Background()

	var call func(ctx context.Context, r *rand.Rand) error
	pick := func(r *rand.Rand, ids []string) string {
		if *zipf > 1 {
			return ids[rand.NewZipf(r, *zipf, 1, uint64(len(ids)-1)).Uint64()]
		}
		return ids[r.IntN(len(ids))]
	}
	if *rpc == "baseline" {
		c := catalogv1connect.NewCatalogServiceClient(hc, *url, opts...)
		call = func(ctx context.Context, r *rand.Rand) error {
			_, err := c.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: fmt.Sprintf("t%05d", r.IntN(baselineTracks))}))
			return err
		}
	} else {
		ids, err := readIDs(*idsFile)
		if err != nil {
			return err
		}
		lr, err := userv1connect.NewUserServiceClient(hc, *url).Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: ids.Username, Password: ids.Password}))
		if err != nil {
			return fmt.Errorf("login as %s: %w", ids.Username, err)
		}
		opts = append(opts, connect.WithInterceptors(bearer(lr.Msg.Tokens.AccessToken)))
		cat := catalogv1connect.NewCatalogServiceClient(hc, *url, opts...)
		pls := playlistv1connect.NewPlaylistServiceClient(hc, *url, opts...)
		switch *rpc {
		case "get-track":
			call = func(ctx context.Context, r *rand.Rand) error {
				_, err := cat.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: pick(r, ids.TrackIDs)}))
				return err
			}
		case "search":
			call = func(ctx context.Context, r *rand.Rand) error {
				_, err := cat.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: ids.Queries[r.IntN(len(ids.Queries))]}))
				return err
			}
		case "get-playlist":
			call = func(ctx context.Context, r *rand.Rand) error {
				_, err := pls.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: pick(r, ids.PlaylistIDs)}))
				return err
			}
		case "create-playlist":
			// A write load that any listener may make: each public
			// playlist is a search document, so on Cassandra every call
			// appends a change-feed record the indexer must index.
			call = func(ctx context.Context, r *rand.Rand) error {
				_, err := pls.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{
					Name: fmt.Sprintf("Load Mix %08x", r.Uint32()), Public: true}}))
				return err
			}
		default:
			return fmt.Errorf("-rpc: unknown %q", *rpc)
		}
	}
	// One call up front, so a misconfiguration fails loudly, not as a 0 rps run.
	if err := call(ctx, rand.New(rand.NewPCG(1, 2))); err != nil {
		return fmt.Errorf("first %s call: %w", *rpc, err)
	}
	var (
		fl        *floodStats
		floodDone = func() {}
	)
	if *flood > 0 {
		fctx, stop := context.WithTimeout(ctx, *warm+*dur)
		defer stop()
		fl, floodDone = floodLogins(fctx, *url, "flooder", *flood)
	}
	res := load(ctx, call, *conc, *warm, *dur, *pace)
	floodDone()
	if *pace > 0 {
		fmt.Printf("paced=%g/s ", *pace)
	}
	fmt.Printf("%-12s %-11s c=%-3d rps=%8.0f p50=%7.2fms p99=%7.2fms errors=%d calls=%d",
		*rpc, *proto, *conc, res.rps, ms(res.p50), ms(res.p99), res.errors, res.calls)
	if fl != nil {
		fmt.Printf(" flood=%d logins=%d refused=%d checked=%d", *flood, fl.calls.Load(), fl.refused.Load(), fl.checked.Load())
	}
	fmt.Println()
	if res.firstErr != nil {
		fmt.Printf("first error: %v\n", res.firstErr)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func readIDs(path string) (*benchIDs, error) {
	if path == "" {
		return nil, errors.New("-ids is required")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ids: %w", err)
	}
	var ids benchIDs
	if err := json.Unmarshal(b, &ids); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if len(ids.TrackIDs) == 0 || len(ids.PlaylistIDs) == 0 || len(ids.Queries) == 0 {
		return nil, fmt.Errorf("%s lacks track ids, playlist ids or queries", path)
	}
	return &ids, nil
}

func bearer(token string) connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			return next(ctx, req)
		}
	})
}

type result struct {
	rps           float64
	p50, p99      time.Duration
	calls, errors int
	firstErr      error
}

// load runs conc callers back to back (closed loop) and records every
// measured call's latency.
func load(ctx context.Context, call func(context.Context, *rand.Rand) error, conc int, warm, dur time.Duration, pace float64) result {
	start := time.Now()
	measureFrom, stopAt := start.Add(warm), start.Add(warm+dur)
	var (
		mu       sync.Mutex
		all      []time.Duration
		errs     int
		firstErr error
		wg       sync.WaitGroup
	)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, seed*7+1))
			lat := make([]time.Duration, 0, 1<<16)
			var nerr int
			var ferr error
			next := time.Now()
			for {
				if pace > 0 {
					// Paced: one call per interval, whatever the last one took.
					next = next.Add(time.Duration(float64(time.Second) / pace))
					time.Sleep(time.Until(next))
				}
				t0 := time.Now()
				if t0.After(stopAt) {
					break
				}
				err := call(ctx, r)
				d := time.Since(t0)
				if t0.Before(measureFrom) {
					continue
				}
				if err != nil {
					nerr++
					if ferr == nil {
						ferr = err
					}
					continue
				}
				lat = append(lat, d)
			}
			mu.Lock()
			all = append(all, lat...)
			errs += nerr
			if firstErr == nil {
				firstErr = ferr
			}
			mu.Unlock()
		}(uint64(w + 1))
	}
	wg.Wait()
	slices.Sort(all)
	res := result{calls: len(all), errors: errs, firstErr: firstErr, rps: float64(len(all)) / dur.Seconds()}
	if len(all) > 0 {
		res.p50 = all[len(all)*50/100]
		res.p99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return res
}
