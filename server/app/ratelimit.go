package app

import (
	"context"
	"net/http"

	"github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1/catalogv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/playback/v1/playbackv1connect"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/user/v1/userv1connect"
	"github.com/backbeat/backbeat/server/auth"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/mediahttp"
	"github.com/backbeat/backbeat/server/ratelimit"
)

// limitedProcedures tells the guard which RPCs are its special classes.
var limitedProcedures = ratelimit.Procedures{
	SignIn: []string{
		userv1connect.UserServiceLoginProcedure,
		userv1connect.UserServiceRegisterProcedure,
		userv1connect.UserServiceRefreshTokenProcedure,
	},
	Login: userv1connect.UserServiceLoginProcedure,
	LoginName: func(msg any) string {
		if m, ok := msg.(*userv1.LoginRequest); ok {
			return m.GetLogin()
		}
		return ""
	},
	PasswordCheck: userv1connect.UserServiceChangePasswordProcedure,
	Plays:         playbackv1connect.PlaybackServiceReportPlaybackProcedure,
	Searches:      []string{catalogv1connect.CatalogServiceSearchProcedure},
	UploadURL:     catalogv1connect.CatalogServiceCreateTrackUploadProcedure,
}

// backlogCounter is the broker's count of waiting transcode jobs.
type backlogCounter interface {
	TranscodeBacklog(ctx context.Context) (int, error)
}

// newGuard builds the rate limiter and load shedder of cfg.RateLimit.
func newGuard(cfg Config, broker backlogCounter, refused func(reason string)) (*ratelimit.Guard, error) {
	return ratelimit.New(cfg.RateLimit, limitedProcedures, ratelimit.Deps{
		Logger: cfg.Logger,
		UserID: func(ctx context.Context) string {
			p, _ := auth.PrincipalFrom(ctx)
			return p.UserID
		},
		IsUpload: func(r *http.Request) bool { return mediahttp.IsUpload(r) },
		// ChangePassword's only permission_denied is a wrong current password.
		WrongPassword: func(err error) bool { return domain.IsKind(err, domain.KindPermissionDenied) },
		Backlog:       broker.TranscodeBacklog,
		Refused:       refused,
	})
}

// limitedCredentials bounds the password hashes in flight (Register, Login
// and anything else that checks or sets a password): a decorator of the
// domain's credentials port, so the domain does not know about it.
type limitedCredentials struct {
	domain.Credentials
	hash ratelimit.LimitedHash
}

func limitCredentials(c domain.Credentials, g *ratelimit.Guard, refused func(reason string)) domain.Credentials {
	if g.HashSlots() == nil {
		return c
	}
	return limitedCredentials{Credentials: c, hash: ratelimit.LimitedHash{H: c, Slots: g.HashSlots(), Refused: refused}}
}

func (c limitedCredentials) HashPassword(pw string) (string, error) { return c.hash.HashPassword(pw) }
func (c limitedCredentials) CheckPassword(enc, pw string) (bool, error) {
	return c.hash.CheckPassword(enc, pw)
}
