// Package edge holds the few helpers every service handler needs: who is
// calling, and the conversions every response shares.
package edge

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/backbeat/backbeat/server/domain"
)

// PrincipalFunc reports the request's authenticated caller. The server
// passes the auth layer's lookup; handlers take a func rather than importing
// auth so the edge does not depend on how callers are authenticated.
type PrincipalFunc = func(context.Context) (domain.Principal, bool)

// Caller returns the authenticated caller or an Unauthenticated error. The
// auth interceptor normally refuses such requests first; this is the backstop
// for a procedure left off its list.
func Caller(ctx context.Context, from PrincipalFunc) (domain.Principal, error) {
	if from == nil {
		return domain.Principal{}, domain.Unauthenticated("missing credentials")
	}
	p, ok := from(ctx)
	if !ok || p.UserID == "" {
		return domain.Principal{}, domain.Unauthenticated("missing credentials")
	}
	return p, nil
}

// Timestamp converts t, leaving a zero time unset rather than sending 0001-01-01.
func Timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Int32 converts a count for an int32 proto field, saturating rather than
// wrapping in the unlikely case it does not fit.
func Int32(n int) int32 {
	const maxInt32 = 1<<31 - 1
	if n > maxInt32 {
		return maxInt32
	}
	if n < -maxInt32-1 {
		return -maxInt32 - 1
	}
	return int32(n)
}
