package apptest

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
)

// BombSize is what the decompression bomb inflates to: 256 MiB, 64 times
// the server's message cap.
const BombSize = 256 << 20

// SmallBombSize is what the small bomb inflates to: 32 MiB, about 32 KB of
// gzip, under even the smallest cap on the wire, so only the cap on the
// decompressed message can stop it.
const SmallBombSize = 32 << 20

var (
	bomb      = sync.OnceValue(func() []byte { return zeros(BombSize) })      // about 255 KB
	smallBomb = sync.OnceValue(func() []byte { return zeros(SmallBombSize) }) // about 32 KB
)

// zeros is n zero bytes, gzipped.
func zeros(n int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for range n / len(zero) {
		zw.Write(zero)
	}
	zw.Close()
	return buf.Bytes()
}

// Bomb is one request carrying the decompression bomb, and the code the
// server must refuse it with.
type Bomb struct {
	Name string
	// Want is the refusal: resource_exhausted where the message is read
	// (public procedures), unauthenticated where the token is missing.
	Want  connect.Code
	path  string
	grpc  bool
	small bool
}

// Bombs target every kind of handler the server has, unauthenticated:
// health and both reflection versions (public), and a protected RPC, over
// gRPC (the bomb in a compressed envelope) and over Connect (a gzip body).
var Bombs = []Bomb{
	{"health/grpc", connect.CodeResourceExhausted, "/grpc.health.v1.Health/Check", true, false},
	{"health/connect", connect.CodeResourceExhausted, "/grpc.health.v1.Health/Check", false, false},
	{"reflection-v1/grpc", connect.CodeResourceExhausted, "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", true, false},
	{"reflection-v1alpha/grpc", connect.CodeResourceExhausted, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", true, false},
	{"search/grpc", connect.CodeUnauthenticated, "/backbeat.catalog.v1.CatalogService/Search", true, false},
	{"search/connect", connect.CodeUnauthenticated, "/backbeat.catalog.v1.CatalogService/Search", false, false},
	{"login/connect", connect.CodeResourceExhausted, "/backbeat.user.v1.UserService/Login", false, false},
	// Under the wire cap: stopped by the decompressed-message cap.
	{"health/grpc/small", connect.CodeResourceExhausted, "/grpc.health.v1.Health/Check", true, true},
	{"reflection-v1/grpc/small", connect.CodeResourceExhausted, "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", true, true},
	{"login/connect/small", connect.CodeResourceExhausted, "/backbeat.user.v1.UserService/Login", false, true},
}

// SearchBomb is the bomb to a protected RPC for a caller with a token
// (SendAs): it passes the token check and is refused at the message cap.
var SearchBomb = Bomb{"search/grpc+token", connect.CodeResourceExhausted, "/backbeat.catalog.v1.CatalogService/Search", true, false}

// Send sends the bomb to base over hc (which must speak HTTP/2 for gRPC)
// and checks it is refused with b.Want.
func (b Bomb) Send(t testing.TB, hc *http.Client, base string) {
	t.Helper()
	b.SendAs(t, hc, base, "")
}

// SendAs is Send with a bearer token, if not empty.
func (b Bomb) SendAs(t testing.TB, hc *http.Client, base, token string) {
	t.Helper()
	body := bomb()
	if b.small {
		body = smallBomb()
	}
	req, err := http.NewRequestWithContext(Context(t), http.MethodPost, base+b.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.grpc {
		env := make([]byte, 5, 5+len(body))
		env[0] = 1 // compressed
		binary.BigEndian.PutUint32(env[1:], uint32(len(body)))
		body = append(env, body...)
		req.Header.Set("Content-Type", "application/grpc")
		req.Header.Set("Grpc-Encoding", "gzip")
		req.Header.Set("Te", "trailers")
	} else {
		req.Header.Set("Content-Type", "application/proto")
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("Connect-Protocol-Version", "1")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	res, err := hc.Do(req)
	if err != nil {
		// Refusing early may reset the stream before the body is sent.
		t.Logf("%s: %v (request refused before it was sent)", b.Name, err)
		return
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	// connect reports how much it inflated; the whole bomb means the
	// server spent the CPU to expand it all (see httpserver.BoundedGzip).
	msg := string(got) + res.Header.Get("Grpc-Message") + res.Trailer.Get("Grpc-Message")
	for _, n := range []int{BombSize, SmallBombSize} {
		if strings.Contains(msg, "message size "+strconv.Itoa(n)+" ") {
			t.Errorf("%s: the server inflated the whole bomb: %s", b.Name, msg)
		}
	}
	var code string
	if b.grpc {
		code = res.Trailer.Get("Grpc-Status")
		if code == "" { // a trailers-only response
			code = res.Header.Get("Grpc-Status")
		}
		if want := strconv.Itoa(int(b.Want)); code != want {
			t.Errorf("%s: grpc-status %q (%s), want %s (%v)", b.Name, code, res.Header.Get("Grpc-Message")+res.Trailer.Get("Grpc-Message"), want, b.Want)
		}
		return
	}
	if !strings.Contains(string(got), `"code":"`+b.Want.String()+`"`) {
		t.Errorf("%s: HTTP %d %.200q, want code %v", b.Name, res.StatusCode, got, b.Want)
	}
}
