// Package derrors gives every operation of the domain and the stores one way
// to name itself in an error: a deferred Wrap with the operation and its key
// arguments, so each error is wrapped once, where the operation begins, and
// the wrapping cannot be forgotten on one of its return paths.
//
// The wrap uses %w, so errors.Is and errors.As (and with them domain.KindOf)
// see the cause through it. The op names are for logs: the edge builds the
// client's message from the domain error itself, never from this prefix.
package derrors

import "fmt"

// Wrap prefixes *errp, if it is not nil, with the operation described by
// format and args, as in
//
//	func (s *Store) GetUser(ctx context.Context, id string) (_ *User, err error) {
//		defer derrors.Wrap(&err, "GetUser(%q)", id)
//
// The operation's arguments are formatted only on failure.
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
