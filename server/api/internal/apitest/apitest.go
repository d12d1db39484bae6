// Package apitest helps the handler packages test their edge: that a bad
// request is refused with the right code and field before the domain service
// touches a store.
package apitest

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/backbeat/backbeat/server/api/apierr"
	"github.com/backbeat/backbeat/server/domain"
)

// CallerID is the user tests act as.
const CallerID = "01hzzzzzzzzzzzzzzzzzzzzzzz"

// Caller is the principal tests act as: a listener who is also an artist.
func Caller() domain.Principal {
	return domain.Principal{UserID: CallerID, Roles: []domain.Role{domain.RoleListener, domain.RoleArtist}}
}

// As returns a principal lookup that always finds p.
func As(p domain.Principal) func(context.Context) (domain.Principal, bool) {
	return func(context.Context) (domain.Principal, bool) { return p, true }
}

// Anonymous is a principal lookup that never finds anyone.
func Anonymous(context.Context) (domain.Principal, bool) { return domain.Principal{}, false }

// NoStore runs call against a handler whose domain service sits on empty
// domain.Stores, so any store access panics; NoStore turns that panic into a
// test failure naming the case, since validation should have refused first.
func NoStore(t *testing.T, call func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("request reached the store (validation should have refused it): %v", r)
		}
	}()
	return call()
}

// WantError checks that err, once converted as the apierr interceptor would,
// has code and a message starting with field (the message is "field: why").
// An empty field skips the message check.
func WantError(t *testing.T, err error, code connect.Code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v on %q", code, field)
	}
	conv := apierr.Convert(context.Background(), slog.New(slog.DiscardHandler), "/test", err)
	var ce *connect.Error
	if !errors.As(conv, &ce) {
		t.Fatalf("not convertible to a connect error: %v", err)
	}
	if ce.Code() != code {
		t.Fatalf("got %v (%v), want %v", ce.Code(), err, code)
	}
	if field != "" && !strings.HasPrefix(ce.Message(), field+": ") {
		t.Fatalf("message %q does not name field %q", ce.Message(), field)
	}
}
