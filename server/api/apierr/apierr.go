// Package apierr is the one place where domain errors become Connect errors.
// Handlers return domain errors; the interceptor picks the code, keeps
// internal details out of responses and logs them instead.
package apierr

import (
	"context"
	"errors"
	"log/slog"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/ratelimit"
)

// internalMessage is all a client learns of an unexpected failure; the
// cause may name hosts, queries or files.
const internalMessage = "internal error"

// Convert turns err, returned while serving procedure, into an error that
// carries a Connect code. It returns nil for nil and Connect errors unchanged
// (their author chose the code). Domain errors keep their own message, which
// names the field, minus the operation names (`Users.Register("ana"): `) that derrors.Wrap adds on the way
// up; anything unclassified is logged and answered with a generic message.
func Convert(ctx context.Context, logger *slog.Logger, procedure string, err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return err
	}
	var de *domain.Error
	if errors.As(err, &de) && de.Kind != domain.KindInternal {
		return fromDomain(ctx, logger, procedure, de, err)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, context.Canceled)
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, context.DeadlineExceeded)
	}
	log(logger).LogAttrs(ctx, slog.LevelError, "rpc failed",
		slog.String("procedure", procedure), slog.Any("error", err))
	return connect.NewError(connect.CodeInternal, errors.New(internalMessage))
}

func fromDomain(ctx context.Context, logger *slog.Logger, procedure string, de *domain.Error, full error) error {
	code := codeOf(de.Kind)
	msg := de.Msg
	if msg == "" {
		// A bare kind wrapping a cause: the cause is for operators, not clients.
		msg = de.Kind.String()
	}
	if de.Field != "" {
		msg = de.Field + ": " + msg
	}
	if code == connect.CodeUnavailable {
		// Worth a trace: the client only learns to retry, operators need why.
		log(logger).LogAttrs(ctx, slog.LevelWarn, "rpc unavailable",
			slog.String("procedure", procedure), slog.Any("error", full))
	}
	if code == connect.CodeUnavailable && de.RetryAfter > 0 {
		// The same refusal, with its RetryInfo, that an overloaded server
		// gives: clients already back off on it.
		return ratelimit.Overloaded(msg, de.RetryAfter)
	}
	ce := connect.NewError(code, errors.New(msg))
	if de.Kind == domain.KindInvalid && de.Field != "" {
		addFieldViolation(ce, de.Field, de.Msg)
	}
	return ce
}

func codeOf(k domain.Kind) connect.Code {
	switch k {
	case domain.KindInvalid:
		return connect.CodeInvalidArgument
	case domain.KindNotFound:
		return connect.CodeNotFound
	case domain.KindAlreadyExists:
		return connect.CodeAlreadyExists
	case domain.KindPermissionDenied:
		return connect.CodePermissionDenied
	case domain.KindUnauthenticated:
		return connect.CodeUnauthenticated
	case domain.KindFailedPrecondition:
		return connect.CodeFailedPrecondition
	case domain.KindUnavailable:
		return connect.CodeUnavailable
	default:
		return connect.CodeInternal
	}
}

// addFieldViolation attaches the field as a google.rpc.BadRequest so clients
// can highlight it without parsing the message. The message alone still says
// everything, so a detail that fails to marshal is simply left out.
func addFieldViolation(ce *connect.Error, field, desc string) {
	d, err := connect.NewErrorDetail(&errdetails.BadRequest{
		FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: desc}},
	})
	if err == nil {
		ce.AddDetail(d)
	}
}

func log(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
