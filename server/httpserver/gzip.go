package httpserver

import (
	"compress/gzip"
	"io"

	"connectrpc.com/connect"
	kgzip "github.com/klauspost/compress/gzip"
)

// BoundedGzip replaces connect's gzip for a handler whose messages are capped
// at max bytes (connect.WithReadMaxBytes(max)). connect stops buffering a
// message at the cap but then inflates the rest of the stream to report its
// size, so a 4 MiB body of gzipped zeros costs seconds of CPU for the ~4 GiB
// it expands to. This decompressor ends every stream after max+1 bytes:
// connect still sees the message is over the cap and refuses it with
// resource_exhausted, and a bomb costs what a maximal message does.
func BoundedGzip(max int) connect.HandlerOption {
	return connect.WithCompression("gzip",
		func() connect.Decompressor { return &boundedGzip{max: int64(max) + 1} },
		// Answers are compressed by klauspost/compress at its fastest
		// level: the standard library's default level cleared a large hash
		// table for every message (two thirds of GetTrack's handler CPU in a
		// profile), and for a GetPlaylist page this is about 3x faster than
		// even its fastest level, for the same size on the wire.
		func() connect.Compressor {
			w, _ := kgzip.NewWriterLevel(io.Discard, kgzip.BestSpeed)
			return w
		},
	)
}

type boundedGzip struct {
	zr   gzip.Reader
	max  int64
	left int64
}

func (b *boundedGzip) Reset(r io.Reader) error {
	b.left = b.max
	return b.zr.Reset(r)
}

func (b *boundedGzip) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.zr.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedGzip) Close() error { return b.zr.Close() }
