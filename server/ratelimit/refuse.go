package ratelimit

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Limited is the refusal of a request over its budget: resource_exhausted,
// retry after wait.
func Limited(msg string, wait time.Duration) *connect.Error {
	return refusal(connect.CodeResourceExhausted, msg, wait)
}

// Overloaded is the refusal of a request the server is too busy for:
// unavailable, retry after wait.
func Overloaded(msg string, wait time.Duration) *connect.Error {
	return refusal(connect.CodeUnavailable, msg, wait)
}

func refusal(code connect.Code, msg string, wait time.Duration) *connect.Error {
	wait = roundUp(wait)
	ce := connect.NewError(code, errors.New(msg+"; retry in "+wait.String()))
	// The detail is only built from a duration; it cannot fail to marshal.
	if d, err := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: durationpb.New(wait)}); err == nil {
		ce.AddDetail(d)
	}
	return ce
}

// roundUp rounds a delay up to a tenth of a second (at least that): a
// client told "retry in 0s" would retry at once and be refused again.
func roundUp(d time.Duration) time.Duration {
	const step = 100 * time.Millisecond
	if d <= step {
		return step
	}
	return (d + step - 1) / step * step
}

// RetryDelay reads the RetryInfo delay of a refusal (false when err has
// none).
func RetryDelay(err error) (time.Duration, bool) {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return 0, false
	}
	for _, d := range ce.Details() {
		v, err := d.Value()
		if err != nil {
			continue
		}
		if ri, ok := v.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			return ri.GetRetryDelay().AsDuration(), true
		}
	}
	return 0, false
}

// writeRefusal answers r with ce in the protocol r spoke: a Connect, gRPC
// or gRPC-Web error without reading the body, or for plain HTTP (uploads,
// media) 429 (a budget) or 503 (busy) with Retry-After in whole seconds.
func writeRefusal(errw *connect.ErrorWriter, w http.ResponseWriter, r *http.Request, ce *connect.Error) {
	wait, _ := RetryDelay(ce)
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	if errw.IsSupported(r) {
		// A failed write means the client is gone; there is nobody to tell.
		_ = errw.Write(w, r, ce)
		return
	}
	status := http.StatusTooManyRequests
	if ce.Code() == connect.CodeUnavailable {
		status = http.StatusServiceUnavailable
	}
	http.Error(w, ce.Message(), status)
}
