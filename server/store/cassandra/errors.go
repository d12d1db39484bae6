package cassandra

import (
	"context"
	"errors"
	"net"
	"syscall"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
)

// wrap is the deferred step every operation of the store begins with, as in
//
//	defer wrap(&err, "cassandra.GetUser(%q)", id)
//
// It classifies the driver error and names the operation in one place, so
// no return path can skip the classification: a transient error the
// operation returns is KindUnavailable (retryable) on every path.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = classify(*errp)
		derrors.Wrap(errp, format, args...)
	}
}

// classify gives driver errors a domain kind: what a retry may fix (too few
// replicas, timeouts, no connection) is KindUnavailable; the rest stays
// internal. The driver error stays in the chain for errors.Is and logs.
// gocql.ErrNotFound is left to callers, who know what was missing.
func classify(err error) error {
	if err == nil || domain.KindOf(err) != domain.KindInternal {
		return err
	}
	if transient(err) {
		return &domain.Error{Kind: domain.KindUnavailable, Msg: "database unavailable", Err: err}
	}
	return err
}

func transient(err error) bool {
	var (
		unavailable  *gocql.RequestErrUnavailable
		writeTimeout *gocql.RequestErrWriteTimeout
		readTimeout  *gocql.RequestErrReadTimeout
		casUnknown   *gocql.RequestErrCASWriteUnknown
		netErr       net.Error
	)
	switch {
	case errors.As(err, &unavailable), errors.As(err, &writeTimeout), errors.As(err, &readTimeout),
		errors.As(err, &casUnknown), errors.As(err, &netErr):
		return true
	case errors.Is(err, gocql.ErrTimeoutNoResponse), errors.Is(err, gocql.ErrNoConnections),
		errors.Is(err, gocql.ErrConnectionClosed), errors.Is(err, gocql.ErrUnavailable),
		errors.Is(err, gocql.ErrNoConnectionsStarted), errors.Is(err, gocql.ErrSessionClosed),
		errors.Is(err, gocql.ErrNoHosts),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ECONNREFUSED):
		return true
	}
	var reqErr gocql.RequestError
	if errors.As(err, &reqErr) {
		switch reqErr.Code() {
		case gocql.ErrCodeOverloaded, gocql.ErrCodeBootstrapping, gocql.ErrCodeTruncate,
			gocql.ErrCodeReadFailure, gocql.ErrCodeWriteFailure:
			return true
		}
	}
	return false
}

// notFound maps the driver's "no row" to the domain's; the operation's wrap
// classifies the rest.
func notFound(err error, what, id string) error {
	if errors.Is(err, gocql.ErrNotFound) {
		return domain.NotFound(what, id)
	}
	return err
}
