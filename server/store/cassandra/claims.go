package cassandra

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
)

// A claim makes a user's username, email or external identity unique: a row
// keyed by the value, taken with INSERT ... IF NOT EXISTS before the user row
// is written. Cassandra has no multi-partition transactions, so the steps
// are ordered to fail safe: claims first, user row last, and every claim
// taken is released (a conditional delete, so only its holder's) when a
// later step is known not to have applied.
//
// Claims run their Paxos rounds at SERIAL, across data centres, so two data
// centres never both accept one username (LOCAL_SERIAL would let each
// accept it in its own round). A claim whose outcome a timeout hid is read
// back at SERIAL, which finishes any round in flight, before anything is
// decided: never released while it may have applied, and taken when the
// row names this user (a retry of the same request finds its own claim).
type claimKind struct {
	field string
	// keys returns the claim's key for u, nil when u claims nothing.
	keys func(u *domain.User) []any
	// The statements take the key columns first, in keys order.
	insert  string // ..., user_id, claimed_at
	get     string // returns user_id
	holder  string // returns user_id, claimed_at
	steal   string // user_id, claimed_at, key..., old holder
	release string // key..., holder
}

var (
	usernameClaim = claimKind{
		field: "username",
		keys: func(u *domain.User) []any {
			if u.Username == "" {
				return nil
			}
			return []any{strings.ToLower(u.Username)}
		},
		insert:  `INSERT INTO users_by_username (username, user_id, claimed_at) VALUES (?, ?, ?) IF NOT EXISTS`,
		get:     `SELECT user_id FROM users_by_username WHERE username = ?`,
		holder:  `SELECT user_id, claimed_at FROM users_by_username WHERE username = ?`,
		steal:   `UPDATE users_by_username SET user_id = ?, claimed_at = ? WHERE username = ? IF user_id = ?`,
		release: `DELETE FROM users_by_username WHERE username = ? IF user_id = ?`,
	}
	emailClaim = claimKind{
		field: "email",
		keys: func(u *domain.User) []any {
			if u.Email == "" {
				return nil
			}
			return []any{strings.ToLower(u.Email)}
		},
		insert:  `INSERT INTO users_by_email (email, user_id, claimed_at) VALUES (?, ?, ?) IF NOT EXISTS`,
		get:     `SELECT user_id FROM users_by_email WHERE email = ?`,
		holder:  `SELECT user_id, claimed_at FROM users_by_email WHERE email = ?`,
		steal:   `UPDATE users_by_email SET user_id = ?, claimed_at = ? WHERE email = ? IF user_id = ?`,
		release: `DELETE FROM users_by_email WHERE email = ? IF user_id = ?`,
	}
	externalClaim = claimKind{
		field: "external_id",
		keys: func(u *domain.User) []any {
			if u.ExternalIssuer == "" && u.ExternalSubject == "" {
				return nil
			}
			return []any{u.ExternalIssuer, u.ExternalSubject}
		},
		insert:  `INSERT INTO users_by_external_id (issuer, subject, user_id, claimed_at) VALUES (?, ?, ?, ?) IF NOT EXISTS`,
		get:     `SELECT user_id FROM users_by_external_id WHERE issuer = ? AND subject = ?`,
		holder:  `SELECT user_id, claimed_at FROM users_by_external_id WHERE issuer = ? AND subject = ?`,
		steal:   `UPDATE users_by_external_id SET user_id = ?, claimed_at = ? WHERE issuer = ? AND subject = ? IF user_id = ?`,
		release: `DELETE FROM users_by_external_id WHERE issuer = ? AND subject = ? IF user_id = ?`,
	}
	claimKinds = []claimKind{usernameClaim, emailClaim, externalClaim}
)

type heldClaim struct {
	kind claimKind
	keys []any
}

func equalKeys(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// staleClaim is how old a claim must be before a newcomer may take it over
// from a holder that does not hold the value: long past any creation in
// flight, which holds its claims for milliseconds.
const staleClaim = time.Minute

// takeClaims takes every claim u makes that old (nil on creation) did not
// already hold, and returns the ones taken; on error it has released them.
func (s *Store) takeClaims(ctx context.Context, u, old *domain.User) ([]heldClaim, error) {
	var taken []heldClaim
	for _, c := range claimKinds {
		keys := c.keys(u)
		if keys == nil || old != nil && equalKeys(keys, c.keys(old)) {
			continue
		}
		if err := s.take(ctx, c, keys, u.ID); err != nil {
			s.releaseClaims(ctx, u.ID, taken)
			return nil, err
		}
		taken = append(taken, heldClaim{c, keys})
	}
	return taken, nil
}

// claimTries bounds how often take tries again after finding the claim
// free when its own insert did not apply (a release in between).
const claimTries = 3

func (s *Store) take(ctx context.Context, c claimKind, keys []any, userID string) error {
	taken := domain.AlreadyExists(c.field, "%s is taken", c.field)
	var (
		holder    string
		claimedAt time.Time
	)
	for try := 1; ; try++ {
		applied, err := s.sess.ExecCAS(ctx, Statement{CQL: c.insert, Args: append(append([]any{}, keys...), userID, now()), Serial: true})
		if err != nil && !ambiguous(err) {
			return err
		}
		if applied {
			return nil
		}
		// Taken by someone, or unknown: the row, read at SERIAL, says who
		// holds it now that any round in flight is finished.
		holder, claimedAt, err = s.claimHolder(ctx, c, keys)
		if err != nil {
			return err
		}
		if holder == userID {
			return nil
		}
		if holder != "" {
			break
		}
		if try == claimTries {
			return domain.Unavailable("the %s claim did not settle", c.field)
		}
	}
	if time.Since(claimedAt) < staleClaim {
		return taken
	}
	// An old claim whose holder does not have the value (a creation or
	// rename that died half-way) is taken over; the condition makes two
	// newcomers doing so at once agree on one winner.
	held, err := userStore{s}.GetUser(ctx, holder)
	switch {
	case err == nil && equalKeys(c.keys(held), keys):
		return taken
	case err != nil && !domain.IsKind(err, domain.KindNotFound):
		return err
	}
	applied, err := s.sess.ExecCAS(ctx, Statement{CQL: c.steal, Args: append(append([]any{userID, now()}, keys...), holder), Serial: true})
	if err != nil && !ambiguous(err) {
		return err
	}
	if err != nil {
		if holder, _, err = s.claimHolder(ctx, c, keys); err != nil {
			return err
		}
		applied = holder == userID
	}
	if !applied {
		return taken
	}
	return nil
}

// claimHolder reads a claim at SERIAL: its holder ("" when free) and when
// it was taken.
func (s *Store) claimHolder(ctx context.Context, c claimKind, keys []any) (holder string, at time.Time, err error) {
	err = s.sess.Scan(ctx, Statement{CQL: c.holder, Args: keys, Idempotent: true, Serial: true}, &holder, &at)
	if errors.Is(err, gocql.ErrNotFound) {
		return "", time.Time{}, nil
	}
	return holder, at, err
}

// releaseClaims frees claims held by userID. It is cleanup after a failure
// or a change: it logs rather than fails, since a claim left behind is only
// taken over later (see take).
func (s *Store) releaseClaims(ctx context.Context, userID string, claims []heldClaim) {
	// Release even when the caller's context is done: that is when a
	// failed creation most needs its claims back.
	ctx = context.WithoutCancel(ctx)
	for _, h := range claims {
		args := append(append([]any{}, h.keys...), userID)
		if _, err := s.sess.ExecCAS(ctx, Statement{CQL: h.kind.release, Args: args, Serial: true}); err != nil {
			s.log.Warn("cassandra: claim left behind", "field", h.kind.field, "user", userID, "err", err)
		}
	}
}
