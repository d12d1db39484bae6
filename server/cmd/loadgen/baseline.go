package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1/catalogv1connect"
)

const baselineTracks = 10_000

// baselineCatalog answers GetTrack from an in-memory map with no auth and no
// store: the floor any Backbeat RPC is measured against, as in
// shared/baselines.md, re-measured on the same machine in the same run.
type baselineCatalog struct {
	catalogv1connect.UnimplementedCatalogServiceHandler
	tracks map[string]*catalogv1.Track
}

func (b *baselineCatalog) GetTrack(_ context.Context, req *connect.Request[catalogv1.GetTrackRequest]) (*connect.Response[catalogv1.GetTrackResponse], error) {
	t, ok := b.tracks[req.Msg.TrackId]
	if !ok {
		return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("track %q not found", req.Msg.TrackId))
	}
	return connect.NewResponse(&catalogv1.GetTrackResponse{Track: t}), nil
}

func baseline(args []string) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	compressMin := fs.Int("compress-min-bytes", 0, "answers smaller than this go uncompressed, as Backbeat's do (0: connect-go's default, every answer gzipped when the client accepts it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	h := &baselineCatalog{tracks: make(map[string]*catalogv1.Track, baselineTracks)}
	for i := range baselineTracks {
		id := fmt.Sprintf("t%05d", i)
		h.tracks[id] = &catalogv1.Track{Id: id, Title: "Track " + id, ArtistIds: []string{"a1"}, DurationMs: 200_000, CreateTime: timestamppb.Now()}
	}
	mux := http.NewServeMux()
	mux.Handle(catalogv1connect.NewCatalogServiceHandler(h, connect.WithCompressMinBytes(*compressMin)))
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Printf("baseline: listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: mux, Protocols: p}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
