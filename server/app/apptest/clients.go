package apptest

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1/catalogv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/library/v1/libraryv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/playback/v1/playbackv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1/playlistv1connect"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/user/v1/userv1connect"
	"github.com/backbeat/backbeat/server/auth"
	"github.com/backbeat/backbeat/server/domain"
)

// Protocol is one of the wire protocols the server speaks, with the HTTP
// transport a real client of it uses.
type Protocol struct {
	Name string
	Opts []connect.ClientOption
	HTTP func() *http.Client
}

// Protocols are every protocol a client may speak: Connect (POST, and GET
// for reads, which caches may keep), gRPC over h2c and gRPC-Web over
// HTTP/1.1 as browsers do.
var Protocols = []Protocol{
	{"connect", nil, HTTP1Client},
	{"connect-get", []connect.ClientOption{connect.WithHTTPGet()}, HTTP1Client},
	{"grpc", []connect.ClientOption{connect.WithGRPC()}, H2CClient},
	{"grpc-web", []connect.ClientOption{connect.WithGRPCWeb()}, HTTP1Client},
}

// H2CClient speaks cleartext HTTP/2 with prior knowledge, as gRPC needs.
func H2CClient() *http.Client {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: p}}
}

// HTTP1Client speaks plain HTTP/1.1, as browsers' fetch does against an h2c
// server.
func HTTP1Client() *http.Client {
	return &http.Client{Transport: &http.Transport{}}
}

// API bundles the generated clients of every service.
type API struct {
	Users     userv1connect.UserServiceClient
	Catalog   catalogv1connect.CatalogServiceClient
	Playlists playlistv1connect.PlaylistServiceClient
	Playback  playbackv1connect.PlaybackServiceClient
	Library   libraryv1connect.LibraryServiceClient
}

// NewAPI makes clients for base over hc, sending token as a bearer token
// when it is not empty.
func NewAPI(hc *http.Client, base, token string, opts ...connect.ClientOption) API {
	if token != "" {
		opts = append(opts, connect.WithInterceptors(Bearer(token)))
	}
	return API{
		Users:     userv1connect.NewUserServiceClient(hc, base, opts...),
		Catalog:   catalogv1connect.NewCatalogServiceClient(hc, base, opts...),
		Playlists: playlistv1connect.NewPlaylistServiceClient(hc, base, opts...),
		Playback:  playbackv1connect.NewPlaybackServiceClient(hc, base, opts...),
		Library:   libraryv1connect.NewLibraryServiceClient(hc, base, opts...),
	}
}

// Bearer adds an Authorization header to every call.
func Bearer(token string) connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			return next(ctx, req)
		}
	})
}

// Anon is a client without a token, over the Connect protocol.
func (s *Server) Anon() API { return NewAPI(HTTP1Client(), s.URL(), "") }

// As is a client signed in with token, over the Connect protocol.
func (s *Server) As(token string) API { return NewAPI(HTTP1Client(), s.URL(), token) }

// Password is the password Register gives every user.
const Password = "correct horse battery"

// Register creates a user named username (email username@example.com) and
// returns its access token and the user.
func (s *Server) Register(t testing.TB, username string) (string, *userv1.User) {
	t.Helper()
	return Register(t, s.Anon(), username)
}

// Login signs a user in.
func (s *Server) Login(t testing.TB, login, password string) *userv1.LoginResponse {
	t.Helper()
	return Login(t, s.Anon(), login, password)
}

// Register creates a user named username (email username@example.com,
// password Password) through c, a client without a token, and returns its
// access token and the user.
func Register(t testing.TB, c API, username string) (string, *userv1.User) {
	t.Helper()
	res, err := c.Users.Register(Context(t), connect.NewRequest(&userv1.RegisterRequest{
		Username: username, Email: username + "@example.com", Password: Password, DisplayName: username,
	}))
	if err != nil {
		t.Fatalf("register %s: %v", username, err)
	}
	return res.Msg.Tokens.AccessToken, res.Msg.User
}

// Login signs a user in through c, a client without a token.
func Login(t testing.TB, c API, login, password string) *userv1.LoginResponse {
	t.Helper()
	res, err := c.Users.Login(Context(t), connect.NewRequest(&userv1.LoginRequest{Login: login, Password: password}))
	if err != nil {
		t.Fatalf("login %s: %v", login, err)
	}
	return res.Msg
}

// WantCode fails unless err is a Connect error with code.
func WantCode(t testing.TB, err error, code connect.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %v", code)
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("got non-Connect error %v, want %v", err, code)
	}
	if ce.Code() != code {
		t.Fatalf("got %v (%s), want %v", ce.Code(), ce.Message(), code)
	}
}

// MustOK fails on err.
func MustOK(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// ResultIDs returns the ids of search results, in order.
func ResultIDs(rs []*catalogv1.SearchResult) []string {
	var ids []string
	for _, r := range rs {
		switch it := r.Item.(type) {
		case *catalogv1.SearchResult_Track:
			ids = append(ids, it.Track.Id)
		case *catalogv1.SearchResult_Album:
			ids = append(ids, it.Album.Id)
		case *catalogv1.SearchResult_Artist:
			ids = append(ids, it.Artist.Id)
		case *catalogv1.SearchResult_Playlist:
			ids = append(ids, it.Playlist.Id)
		}
	}
	return ids
}

// SearchTitles returns the titles/names of a search's results in order,
// each prefixed with its kind ("track:", "album:", "artist:", "playlist:"):
// the deprecated mixed list, as clients written before the groups read it.
func SearchTitles(res *catalogv1.SearchResponse) []string {
	var out []string
	//lint:ignore SA1019 the tests pin that clients written before the groups keep working.
	for _, r := range res.Results {
		switch it := r.Item.(type) {
		case *catalogv1.SearchResult_Track:
			out = append(out, "track:"+it.Track.Title)
		case *catalogv1.SearchResult_Album:
			out = append(out, "album:"+it.Album.Title)
		case *catalogv1.SearchResult_Artist:
			out = append(out, "artist:"+it.Artist.Name)
		case *catalogv1.SearchResult_Playlist:
			out = append(out, "playlist:"+it.Playlist.Name)
		}
	}
	return out
}

// Mint makes an access token for userID, with the listener and admin
// roles, from an issuer with the given settings at now. With a server's
// data directory it signs with that server's own key.
func Mint(t testing.TB, dir, url, audience string, now time.Time, userID string) string {
	t.Helper()
	iss, err := auth.NewIssuer(auth.IssuerConfig{Dir: dir, URL: url, Audience: audience, AccessTTL: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := iss.Mint(userID, []domain.Role{domain.RoleListener, domain.RoleAdmin}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
