package apierr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/backbeat/backbeat/server/domain"
)

const proc = "/backbeat.test.v1.TestService/Do"

func TestConvertKinds(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		code    connect.Code
		message string
	}{
		{"invalid", domain.Invalid("artist.name", "is required"), connect.CodeInvalidArgument, "artist.name: is required"},
		{"not found", domain.NotFound("playlist", "p1"), connect.CodeNotFound, `playlist "p1" not found`},
		{"already exists", domain.AlreadyExists("username", "is taken"), connect.CodeAlreadyExists, "username: is taken"},
		{"permission denied", domain.PermissionDenied("no"), connect.CodePermissionDenied, "no"},
		{"unauthenticated", domain.Unauthenticated("missing credentials"), connect.CodeUnauthenticated, "missing credentials"},
		{"failed precondition", domain.FailedPrecondition("not collaborative"), connect.CodeFailedPrecondition, "not collaborative"},
		{"unavailable", &domain.Error{Kind: domain.KindUnavailable, Msg: "store overloaded", Err: errors.New("10.0.0.7: timeout")}, connect.CodeUnavailable, "store overloaded"},
		{"unavailable without message", &domain.Error{Kind: domain.KindUnavailable, Err: errors.New("10.0.0.7: timeout")}, connect.CodeUnavailable, "unavailable"},
		{"wrapped keeps only the domain message", fmt.Errorf("Users.Register(\"ana\"): %w", domain.AlreadyExists("email", "is taken")), connect.CodeAlreadyExists, "email: is taken"},
		{"canceled", fmt.Errorf("list: %w", context.Canceled), connect.CodeCanceled, "context canceled"},
		{"deadline", fmt.Errorf("list: %w", context.DeadlineExceeded), connect.CodeDeadlineExceeded, "context deadline exceeded"},
		{"internal domain kind", &domain.Error{Kind: domain.KindInternal, Msg: "secret"}, connect.CodeInternal, internalMessage},
		{"internal domain kind over canceled", &domain.Error{Kind: domain.KindInternal, Err: context.Canceled}, connect.CodeCanceled, "context canceled"},
		{"plain error", errors.New("dial 10.0.0.7:9042: refused"), connect.CodeInternal, internalMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			got := Convert(context.Background(), logger, proc, tt.err)
			var ce *connect.Error
			if !errors.As(got, &ce) {
				t.Fatalf("not a connect error: %v", got)
			}
			if ce.Code() != tt.code || ce.Message() != tt.message {
				t.Fatalf("got %v %q, want %v %q", ce.Code(), ce.Message(), tt.code, tt.message)
			}
			if strings.Contains(ce.Message(), "10.0.0.7") {
				t.Fatalf("message leaks the cause: %q", ce.Message())
			}
		})
	}
}

func TestConvertLogsInternalWithProcedure(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	Convert(context.Background(), logger, proc, fmt.Errorf("get track: %w", errors.New("disk on fire")))
	out := logs.String()
	for _, want := range []string{"level=ERROR", "procedure=" + proc, "disk on fire"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
}

func TestConvertLeavesClientErrorsUnlogged(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	Convert(context.Background(), logger, proc, domain.Invalid("page_size", "too big"))
	Convert(context.Background(), logger, proc, nil)
	if logs.Len() != 0 {
		t.Fatalf("unexpected log: %s", logs.String())
	}
}

func TestConvertPassesConnectErrors(t *testing.T) {
	orig := connect.NewError(connect.CodeUnimplemented, errors.New("later"))
	wrapped := fmt.Errorf("ctx: %w", orig)
	if got := Convert(context.Background(), nil, proc, wrapped); got != wrapped {
		t.Fatalf("got %v, want the error unchanged", got)
	}
	if Convert(context.Background(), nil, proc, nil) != nil {
		t.Fatal("nil must stay nil")
	}
}

func TestInvalidCarriesFieldViolation(t *testing.T) {
	got := Convert(context.Background(), nil, proc, domain.Invalid("track.isrc", "must be an ISRC"))
	br := badRequest(t, got)
	if len(br.GetFieldViolations()) != 1 || br.GetFieldViolations()[0].GetField() != "track.isrc" ||
		br.GetFieldViolations()[0].GetDescription() != "must be an ISRC" {
		t.Fatalf("got %v", br)
	}
}

func badRequest(t *testing.T, err error) *errdetails.BadRequest {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("not a connect error: %v", err)
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			t.Fatalf("detail: %v", derr)
		}
		if br, ok := v.(*errdetails.BadRequest); ok {
			return br
		}
	}
	t.Fatalf("no BadRequest detail in %v", err)
	return nil
}

// TestInterceptorOverTheWire checks what a real client sees: the code, the
// field-naming message and the detail survive the trip, the cause does not.
func TestInterceptorOverTheWire(t *testing.T) {
	var handlerErr error
	mux := http.NewServeMux()
	mux.Handle(proc, connect.NewUnaryHandler(proc,
		func(context.Context, *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
			return nil, handlerErr
		},
		connect.WithInterceptors(NewInterceptor(slog.New(slog.DiscardHandler))),
	))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := connect.NewClient[emptypb.Empty, emptypb.Empty](srv.Client(), srv.URL+proc)

	tests := []struct {
		err     error
		code    connect.Code
		message string
	}{
		{fmt.Errorf("create artist: %w", domain.Invalid("artist.name", "is required")), connect.CodeInvalidArgument, "artist.name: is required"},
		{errors.New("secret cause"), connect.CodeInternal, internalMessage},
		{connect.NewError(connect.CodeUnimplemented, errors.New("not yet")), connect.CodeUnimplemented, "not yet"},
	}
	for _, tt := range tests {
		handlerErr = tt.err
		_, err := client.CallUnary(context.Background(), connect.NewRequest(&emptypb.Empty{}))
		if connect.CodeOf(err) != tt.code {
			t.Fatalf("%v: got code %v, want %v", tt.err, connect.CodeOf(err), tt.code)
		}
		var ce *connect.Error
		if !errors.As(err, &ce) || ce.Message() != tt.message {
			t.Fatalf("%v: got %v, want message %q", tt.err, err, tt.message)
		}
		if tt.code == connect.CodeInvalidArgument {
			if br := badRequest(t, err); br.GetFieldViolations()[0].GetField() != "artist.name" {
				t.Fatalf("got %v", br)
			}
		}
	}
}

func TestInterceptorConvertsStreamingHandlerErrors(t *testing.T) {
	const streamProc = "/backbeat.test.v1.TestService/Stream"
	mux := http.NewServeMux()
	mux.Handle(streamProc, connect.NewServerStreamHandler(streamProc,
		func(context.Context, *connect.Request[emptypb.Empty], *connect.ServerStream[emptypb.Empty]) error {
			return fmt.Errorf("stream: %w", domain.NotFound("playlist", "p1"))
		},
		connect.WithInterceptors(NewInterceptor(slog.New(slog.DiscardHandler))),
	))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := connect.NewClient[emptypb.Empty, emptypb.Empty](srv.Client(), srv.URL+streamProc)
	stream, err := client.CallServerStream(context.Background(), connect.NewRequest(&emptypb.Empty{}))
	if err != nil {
		t.Fatal(err)
	}
	for stream.Receive() {
	}
	if connect.CodeOf(stream.Err()) != connect.CodeNotFound {
		t.Fatalf("got %v, want not found", stream.Err())
	}
}
