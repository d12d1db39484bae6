package e2e

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1/catalogv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/playback/v1/playbackv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1/playlistv1connect"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/user/v1/userv1connect"
)

// protocol is one of the wire protocols the server must speak.
type protocol struct {
	name string
	opt  []connect.ClientOption
	// http is the client transport a real client of this protocol uses.
	http func() *http.Client
}

var protocols = []protocol{
	{"connect", nil, http1Client},
	{"connect-get", []connect.ClientOption{connect.WithHTTPGet()}, http1Client},
	{"grpc", []connect.ClientOption{connect.WithGRPC()}, h2cClient},
	{"grpc-web", []connect.ClientOption{connect.WithGRPCWeb()}, http1Client},
}

// api bundles generated clients for all four services.
type api struct {
	users     userv1connect.UserServiceClient
	catalog   catalogv1connect.CatalogServiceClient
	playlists playlistv1connect.PlaylistServiceClient
	playback  playbackv1connect.PlaybackServiceClient
}

func newAPI(hc *http.Client, base string, token string, opts ...connect.ClientOption) api {
	if token != "" {
		opts = append(opts, connect.WithInterceptors(bearer(token)))
	}
	return api{
		users:     userv1connect.NewUserServiceClient(hc, base, opts...),
		catalog:   catalogv1connect.NewCatalogServiceClient(hc, base, opts...),
		playlists: playlistv1connect.NewPlaylistServiceClient(hc, base, opts...),
		playback:  playbackv1connect.NewPlaybackServiceClient(hc, base, opts...),
	}
}

// bearer adds an Authorization header to every call.
func bearer(token string) connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			return next(ctx, req)
		}
	})
}

// anon is a client without a token, over the Connect protocol.
func anon(s *server) api { return newAPI(http1Client(), s.URL(), "") }

// as is a client signed in with token, over the Connect protocol.
func as(s *server, token string) api { return newAPI(http1Client(), s.URL(), token) }

// register creates a user and returns its access token.
func register(t testing.TB, s *server, username string) (string, *userv1.User) {
	t.Helper()
	res, err := anon(s).users.Register(ctxT(t), connect.NewRequest(&userv1.RegisterRequest{
		Username: username, Email: username + "@example.com", Password: "correct horse battery", DisplayName: username,
	}))
	if err != nil {
		t.Fatalf("register %s: %v", username, err)
	}
	return res.Msg.Tokens.AccessToken, res.Msg.User
}

func login(t testing.TB, s *server, login, password string) *userv1.LoginResponse {
	t.Helper()
	res, err := anon(s).users.Login(ctxT(t), connect.NewRequest(&userv1.LoginRequest{Login: login, Password: password}))
	if err != nil {
		t.Fatalf("login %s: %v", login, err)
	}
	return res.Msg
}

// wantCode fails unless err is a Connect error with code.
func wantCode(t testing.TB, err error, code connect.Code) {
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

// mustOK fails on err.
func mustOK(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// searchTitles returns the titles/names of a search's results in order.
func searchTitles(res *catalogv1.SearchResponse) []string {
	var out []string
	for _, r := range res.Results {
		switch it := r.Item.(type) {
		case *catalogv1.SearchResult_Track:
			out = append(out, "track:"+it.Track.Title)
		case *catalogv1.SearchResult_Album:
			out = append(out, "album:"+it.Album.Title)
		case *catalogv1.SearchResult_Artist:
			out = append(out, "artist:"+it.Artist.Name)
		}
	}
	return out
}
