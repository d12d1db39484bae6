package cassandra

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

type userStore struct{ *Store }

const userColumns = `id, username, email, display_name, roles, password_hash, external_issuer, external_subject, disabled, session_epoch, create_time, update_time`

type userRow struct {
	ID              string    `db:"id"`
	Username        string    `db:"username"`
	Email           string    `db:"email"`
	DisplayName     string    `db:"display_name"`
	Roles           []string  `db:"roles"`
	PasswordHash    string    `db:"password_hash"`
	ExternalIssuer  string    `db:"external_issuer"`
	ExternalSubject string    `db:"external_subject"`
	Disabled        bool      `db:"disabled"`
	SessionEpoch    int64     `db:"session_epoch"`
	CreateTime      time.Time `db:"create_time"`
	UpdateTime      time.Time `db:"update_time"`
}

func (r *userRow) user() *domain.User {
	u := &domain.User{
		ID: r.ID, Username: r.Username, Email: r.Email, DisplayName: r.DisplayName,
		PasswordHash: r.PasswordHash, ExternalIssuer: r.ExternalIssuer, ExternalSubject: r.ExternalSubject,
		Disabled: r.Disabled, SessionEpoch: r.SessionEpoch,
		CreateTime: r.CreateTime, UpdateTime: r.UpdateTime,
	}
	for _, role := range r.Roles {
		u.Roles = append(u.Roles, domain.Role(role))
	}
	return u
}

func roleStrings(roles []domain.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

// msTime is t as Cassandra keeps it: milliseconds, UTC.
func msTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func now() time.Time { return msTime(time.Now()) }

func (u userStore) GetUser(ctx context.Context, id string) (_ *domain.User, err error) {
	defer wrap(&err, "cassandra.GetUser(%q)", id)
	var r userRow
	if err := u.read(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id).Get(&r); err != nil {
		return nil, notFound(err, "user", id)
	}
	return r.user(), nil
}

func (u userStore) CreateUser(ctx context.Context, usr *domain.User) (err error) {
	defer wrap(&err, "cassandra.CreateUser(%q)", usr.ID)
	taken, err := u.takeClaims(ctx, usr, nil)
	if err != nil {
		return err
	}
	applied, err := u.sess.ExecCAS(ctx, Statement{
		CQL: `INSERT INTO users (` + userColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
		Args: []any{usr.ID, usr.Username, usr.Email, usr.DisplayName, roleStrings(usr.Roles), usr.PasswordHash,
			usr.ExternalIssuer, usr.ExternalSubject, usr.Disabled, usr.SessionEpoch, msTime(usr.CreateTime), msTime(usr.UpdateTime)},
		Serial: true,
	})
	if err != nil && !ambiguous(err) {
		u.releaseClaims(ctx, usr.ID, taken)
		return err
	}
	if !applied {
		// Not ours, or unknown: the row says. A retry of this very request
		// (its first try applied, its answer lost) finds the user it made.
		have, rerr := u.claimed(ctx, usr.ID)
		switch {
		case rerr != nil:
			return errors.Join(err, rerr) // undecided: keep the claims
		case have == nil:
			u.releaseClaims(ctx, usr.ID, taken)
			if err == nil {
				err = domain.Unavailable("user %q was deleted while being created", usr.ID)
			}
			return err
		case !sameClaims(have, usr):
			// Another user with this id: the claims its values match are its.
			u.releaseClaims(ctx, usr.ID, unheld(taken, have))
			return domain.AlreadyExists("id", "user %q already exists", usr.ID)
		}
	}
	if err := u.listUser(ctx, usr.Username, usr.ID); err != nil {
		return err
	}
	return nil
}

// claimed reads, at SERIAL, the values a user row holds claims for (nil when
// there is no row): how a write whose outcome a timeout hid is settled
// before any claim is released.
func (u userStore) claimed(ctx context.Context, id string) (*domain.User, error) {
	var have domain.User
	err := u.sess.Scan(ctx, Statement{CQL: `SELECT username, email, external_issuer, external_subject FROM users WHERE id = ?`,
		Args: []any{id}, Idempotent: true, Serial: true}, &have.Username, &have.Email, &have.ExternalIssuer, &have.ExternalSubject)
	if errors.Is(err, gocql.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &have, nil
}

// sameClaims reports whether a and b claim the same values.
func sameClaims(a, b *domain.User) bool {
	for _, c := range claimKinds {
		if !equalKeys(c.keys(a), c.keys(b)) {
			return false
		}
	}
	return true
}

// unheld is the claims of taken that have does not claim.
func unheld(taken []heldClaim, have *domain.User) []heldClaim {
	if have == nil {
		return taken
	}
	var out []heldClaim
	for _, h := range taken {
		if !equalKeys(h.kind.keys(have), h.keys) {
			out = append(out, h)
		}
	}
	return out
}

// listUser adds the user to the admin listing.
func (s *Store) listUser(ctx context.Context, username, id string) error {
	name := strings.ToLower(username)
	b := s.logged(ctx)
	b.add(`INSERT INTO listing_buckets (kind, bucket) VALUES (?, ?)`, kindUser, userBucket(name))
	b.add(`INSERT INTO users_by_name (bucket, username, user_id) VALUES (?, ?, ?)`, userBucket(name), name, id)
	return s.exec(b)
}

// userBucket is the listing partition of a lowercased username: its first
// three characters (the whole name if shorter). Buckets then sort the way
// the names in them do, so walking buckets in order lists names in order.
func userBucket(name string) string {
	n := 0
	for i := range name {
		if n == 3 {
			return name[:i]
		}
		n++
	}
	return name
}

func (u userStore) getBy(ctx context.Context, c claimKind, keys []any) (*domain.User, error) {
	var holder string
	if err := u.read(ctx, c.get, keys...).Scan(&holder); err != nil {
		return nil, notFound(err, "user", fmt.Sprint(keys...))
	}
	usr, err := u.GetUser(ctx, holder)
	if err != nil {
		return nil, err
	}
	// A claim outlives a crash between its steps; the user row decides.
	if !equalKeys(c.keys(usr), keys) {
		return nil, domain.NotFound("user", fmt.Sprint(keys...))
	}
	return usr, nil
}

func (u userStore) GetUserByUsername(ctx context.Context, username string) (_ *domain.User, err error) {
	defer wrap(&err, "cassandra.GetUserByUsername(%q)", username)
	usr, err := u.getBy(ctx, usernameClaim, []any{strings.ToLower(username)})
	if err != nil {
		return nil, err
	}
	return usr, nil
}

func (u userStore) GetUserByEmail(ctx context.Context, email string) (_ *domain.User, err error) {
	defer wrap(&err, "cassandra.GetUserByEmail(%q)", email)
	if email == "" {
		return nil, domain.NotFound("user with email", email)
	}
	usr, err := u.getBy(ctx, emailClaim, []any{strings.ToLower(email)})
	if err != nil {
		return nil, err
	}
	return usr, nil
}

func (u userStore) GetUserByExternalID(ctx context.Context, issuer, subject string) (_ *domain.User, err error) {
	defer wrap(&err, "cassandra.GetUserByExternalID(%q, %q)", issuer, subject)
	usr, err := u.getBy(ctx, externalClaim, []any{issuer, subject})
	if err != nil {
		return nil, err
	}
	return usr, nil
}

func (u userStore) UpdateUser(ctx context.Context, usr *domain.User) (err error) {
	defer wrap(&err, "cassandra.UpdateUser(%q)", usr.ID)
	old, err := u.GetUser(ctx, usr.ID)
	if err != nil {
		return err
	}
	taken, err := u.takeClaims(ctx, usr, old)
	if err != nil {
		return err
	}
	applied, err := u.sess.ExecCAS(ctx, Statement{
		CQL: `UPDATE users SET username = ?, email = ?, display_name = ?, roles = ?, password_hash = ?, ` +
			`external_issuer = ?, external_subject = ?, create_time = ?, update_time = ? WHERE id = ? IF EXISTS`,
		Args: []any{usr.Username, usr.Email, usr.DisplayName, roleStrings(usr.Roles), usr.PasswordHash,
			usr.ExternalIssuer, usr.ExternalSubject, msTime(usr.CreateTime), msTime(usr.UpdateTime), usr.ID},
		Serial: true,
	})
	if err != nil && !ambiguous(err) {
		u.releaseClaims(ctx, usr.ID, taken)
		return err
	}
	if err != nil {
		// The update may have applied: the row, read at SERIAL, says
		// which values hold claims now.
		have, rerr := u.claimed(ctx, usr.ID)
		switch {
		case rerr != nil:
			return errors.Join(err, rerr) // undecided: keep the claims
		case have == nil || !sameClaims(have, usr):
			u.releaseClaims(ctx, usr.ID, unheld(taken, have))
			return err
		}
	} else if !applied {
		u.releaseClaims(ctx, usr.ID, taken)
		return domain.NotFound("user", usr.ID)
	}
	// The claims the old values held are free now.
	var freed []heldClaim
	for _, c := range claimKinds {
		if ok := c.keys(old); ok != nil && !equalKeys(ok, c.keys(usr)) {
			freed = append(freed, heldClaim{c, ok})
		}
	}
	u.releaseClaims(ctx, usr.ID, freed)
	if oldName, name := strings.ToLower(old.Username), strings.ToLower(usr.Username); oldName != name {
		if err := u.write(ctx, `DELETE FROM users_by_name WHERE bucket = ? AND username = ? AND user_id = ?`,
			userBucket(oldName), oldName, usr.ID).Exec(); err != nil {
			return err
		}
		if err := u.listUser(ctx, usr.Username, usr.ID); err != nil {
			return err
		}
	}
	return nil
}

// SetUserDisabled writes the flag alone, with IF EXISTS so a deleted user
// is not brought back as a partial row.
func (u userStore) SetUserDisabled(ctx context.Context, id string, disabled bool) (err error) {
	defer wrap(&err, "cassandra.SetUserDisabled(%q, %t)", id, disabled)
	applied, err := u.once(ctx, `UPDATE users SET disabled = ? WHERE id = ? IF EXISTS`, disabled, id).ExecCAS()
	if err == nil && !applied {
		err = domain.NotFound("user", id)
	}
	return err
}

// EndUserSessions writes the epoch first: from then on every older session
// is refused whatever the deletes that follow achieve.
func (u userStore) EndUserSessions(ctx context.Context, id string, epoch int64) (err error) {
	defer wrap(&err, "cassandra.EndUserSessions(%q)", id)
	applied, err := u.once(ctx, `UPDATE users SET session_epoch = ? WHERE id = ? IF EXISTS`, epoch, id).ExecCAS()
	if err == nil && !applied {
		err = domain.NotFound("user", id)
	}
	if err != nil {
		return err
	}
	return u.deleteSessionsOf(ctx, id)
}

// DeleteUser removes what the user owns and then the user row, so a delete
// that fails half-way can be run again and finishes the job.
func (u userStore) DeleteUser(ctx context.Context, id string) (err error) {
	defer wrap(&err, "cassandra.DeleteUser(%q)", id)
	usr, err := u.GetUser(ctx, id)
	if err != nil {
		return err
	}
	steps := []func(context.Context, string) error{
		u.deleteSessionsOf,
		u.deleteFollowsOf,
		u.deleteLibraryOf,
		playlistStore{u.Store}.deletePlaylistsOf,
		playlistStore{u.Store}.unfollowAllOf,
		playlistStore{u.Store}.leaveAllOf,
		playStore{u.Store}.deletePlaysOf,
	}
	for _, step := range steps {
		if err := step(ctx, id); err != nil {
			return err
		}
	}
	name := strings.ToLower(usr.Username)
	if err := u.write(ctx, `DELETE FROM users_by_name WHERE bucket = ? AND username = ? AND user_id = ?`,
		userBucket(name), name, id).Exec(); err != nil {
		return err
	}
	if err := u.write(ctx, `DELETE FROM users WHERE id = ?`, id).Exec(); err != nil {
		return err
	}
	var held []heldClaim
	for _, c := range claimKinds {
		if keys := c.keys(usr); keys != nil {
			held = append(held, heldClaim{c, keys})
		}
	}
	u.releaseClaims(ctx, id, held)
	return nil
}

type userRef struct {
	Username string `db:"username"`
	UserID   string `db:"user_id"`
}

func (u userStore) ListUsers(ctx context.Context, prefix string, p domain.Page) (_ []*domain.User, _ string, err error) {
	defer wrap(&err, "cassandra.ListUsers(%q)", prefix)
	c, resume, err := pagetoken.Read(p, ofUsers)
	if err != nil {
		return nil, "", err
	}
	prefix = strings.ToLower(prefix)
	after := userRef{Username: prefix}
	if resume {
		after = userRef{Username: c.Key, UserID: c.ID}
	}
	need := p.Size + 1
	var refs []userRef
	// readBucket reads the names after `after` in one bucket; it reports
	// false once the names leave the prefix or the page is full.
	readBucket := func(bucket string) (bool, error) {
		var rows []userRef
		err := u.read(ctx, `SELECT username, user_id FROM users_by_name WHERE bucket = ? AND (username, user_id) > (?, ?) LIMIT ?`,
			bucket, after.Username, after.UserID, need-len(refs)).Select(&rows)
		if err != nil {
			return false, err
		}
		for _, r := range rows {
			if !strings.HasPrefix(r.Username, prefix) {
				return false, nil
			}
			refs = append(refs, r)
		}
		return len(refs) < need, nil
	}
	if len([]rune(prefix)) >= 3 {
		// Every match is in one bucket.
		_, err = readBucket(userBucket(prefix))
	} else {
		err = u.walkBuckets(ctx, kindUser, userBucket(after.Username), func(bucket string) (bool, error) {
			if !strings.HasPrefix(bucket, prefix) {
				return false, nil
			}
			return readBucket(bucket)
		})
	}
	if err != nil {
		return nil, "", err
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.UserID
	}
	users, err := fetchAll(ctx, ids, u.GetUser)
	if err != nil {
		return nil, "", err
	}
	page, next := pagetoken.Page(users, p.Size, func(last *domain.User) pagetoken.Cursor {
		return pagetoken.Cursor{List: ofUsers, Key: strings.ToLower(last.Username), ID: last.ID}
	})
	return page, next, nil
}
