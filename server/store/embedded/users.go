package embedded

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

type userStore struct{ *Store }

const userCols = "id, username, email, display_name, roles, password_hash, ext_issuer, ext_subject, disabled, session_epoch, create_time, update_time"

// foldKey is how usernames and emails are compared: the unique key columns
// hold it, so the UNIQUE constraints decide clashes, concurrent ones too.
func foldKey(s string) any { return nullIfEmpty(strings.ToLower(s)) }

func scanUser(sc scanner) (*domain.User, error) {
	var u domain.User
	var roles string
	var issuer, subject sql.NullString
	var ct, ut int64
	if err := sc.Scan(&u.ID, &u.Username, &u.Email, &u.DisplayName, &roles, &u.PasswordHash, &issuer, &subject, &u.Disabled, &u.SessionEpoch, &ct, &ut); err != nil {
		return nil, err
	}
	var err error
	if u.Roles, err = colList[domain.Role](roles); err != nil {
		return nil, err
	}
	u.ExternalIssuer, u.ExternalSubject = issuer.String, subject.String
	u.CreateTime, u.UpdateTime = colTime(ct), colTime(ut)
	return &u, nil
}

// userClash turns a uniqueness violation into AlreadyExists on its field.
func userClash(err error, u *domain.User) error {
	switch {
	case uniqueViolation(err, "users.username_key"):
		return domain.AlreadyExists("username", "username %q is taken", u.Username)
	case uniqueViolation(err, "users.email_key"):
		return domain.AlreadyExists("email", "email %q is taken", u.Email)
	case uniqueViolation(err, "users.ext_issuer"):
		return domain.AlreadyExists("external_id", "external identity (%q, %q) is taken", u.ExternalIssuer, u.ExternalSubject)
	case uniqueViolation(err, "users.id"):
		return domain.AlreadyExists("id", "user %q already exists", u.ID)
	}
	return err
}

func (s userStore) CreateUser(ctx context.Context, u *domain.User) (err error) {
	defer derrors.Wrap(&err, "embedded.CreateUser(%q)", u.ID)
	_, err = s.wq(ctx).ExecContext(ctx, `INSERT INTO users (id, username, username_key, email, email_key, display_name, roles,
		password_hash, ext_issuer, ext_subject, disabled, session_epoch, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Username, foldKey(u.Username), u.Email, foldKey(u.Email), u.DisplayName, listCol(u.Roles), u.PasswordHash,
		nullIfEmpty(u.ExternalIssuer), nullIfEmpty(u.ExternalSubject), u.Disabled, u.SessionEpoch, timeCol(u.CreateTime), timeCol(u.UpdateTime))
	return userClash(err, u)
}

func (s userStore) GetUser(ctx context.Context, id string) (u *domain.User, err error) {
	defer derrors.Wrap(&err, "embedded.GetUser(%q)", id)
	return getOne(ctx, s.rq(ctx), "SELECT "+userCols+" FROM users WHERE id = ?", scanUser, "user", id)
}

func (s userStore) getBy(ctx context.Context, cond, what, key string, args ...any) (*domain.User, error) {
	u, err := scanUser(s.rq(ctx).QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE "+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound(what, key)
	}
	return u, err
}

func (s userStore) GetUserByUsername(ctx context.Context, username string) (u *domain.User, err error) {
	defer derrors.Wrap(&err, "embedded.GetUserByUsername(%q)", username)
	return s.getBy(ctx, "username_key = ?", "user", username, strings.ToLower(username))
}

func (s userStore) GetUserByEmail(ctx context.Context, email string) (u *domain.User, err error) {
	defer derrors.Wrap(&err, "embedded.GetUserByEmail(%q)", email)
	return s.getBy(ctx, "email_key = ?", "user", email, strings.ToLower(email))
}

func (s userStore) GetUserByExternalID(ctx context.Context, issuer, subject string) (u *domain.User, err error) {
	defer derrors.Wrap(&err, "embedded.GetUserByExternalID(%q, %q)", issuer, subject)
	return s.getBy(ctx, "ext_issuer = ? AND ext_subject = ?", "user", issuer+" "+subject, issuer, subject)
}

// UpdateUser replaces everything but the id and CreateTime, which is when
// the user was created whatever the caller holds, and the disabled flag and
// session epoch, which have their own methods.
func (s userStore) UpdateUser(ctx context.Context, u *domain.User) (err error) {
	defer derrors.Wrap(&err, "embedded.UpdateUser(%q)", u.ID)
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE users SET username = ?, username_key = ?, email = ?, email_key = ?,
		display_name = ?, roles = ?, password_hash = ?, ext_issuer = ?, ext_subject = ?, update_time = ? WHERE id = ?`,
		u.Username, foldKey(u.Username), u.Email, foldKey(u.Email), u.DisplayName, listCol(u.Roles), u.PasswordHash,
		nullIfEmpty(u.ExternalIssuer), nullIfEmpty(u.ExternalSubject), timeCol(u.UpdateTime), u.ID)
	if err != nil {
		return userClash(err, u)
	}
	return requireRow(res, "user", u.ID)
}

func (s userStore) SetUserDisabled(ctx context.Context, id string, disabled bool) (err error) {
	defer derrors.Wrap(&err, "embedded.SetUserDisabled(%q, %t)", id, disabled)
	res, err := s.wq(ctx).ExecContext(ctx, "UPDATE users SET disabled = ? WHERE id = ?", disabled, id)
	if err != nil {
		return err
	}
	return requireRow(res, "user", id)
}

// EndUserSessions sets the epoch and deletes the sessions in one
// transaction.
func (s userStore) EndUserSessions(ctx context.Context, id string, epoch int64) (err error) {
	defer derrors.Wrap(&err, "embedded.EndUserSessions(%q)", id)
	return s.write(ctx, func(tx querier) error {
		res, err := tx.ExecContext(ctx, "UPDATE users SET session_epoch = ? WHERE id = ?", epoch, id)
		if err != nil {
			return err
		}
		if err := requireRow(res, "user", id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", id)
		return err
	})
}

// DeleteUser relies on ON DELETE CASCADE for sessions, follows, playlists
// (and through them entries and followers), memberships and plays; the triggers
// keep the follower counts of playlists the user followed.
func (s userStore) DeleteUser(ctx context.Context, id string) (err error) {
	defer derrors.Wrap(&err, "embedded.DeleteUser(%q)", id)
	return catalogStore(s).catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		// The playlists going by cascade leave the search index.
		owned, err := queryStrings(ctx, tx, "SELECT id FROM playlists WHERE owner_id = ? AND public", id)
		if err != nil {
			return err
		}
		for _, pl := range owned {
			ch.remove(search.KindPlaylist, pl)
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM users WHERE id = ?", id)
		if err != nil {
			return err
		}
		return requireRow(res, "user", id)
	})
}

// ListUsers matches the prefix case-insensitively, as usernames are, and
// orders by the lowercased username.
func (s userStore) ListUsers(ctx context.Context, prefix string, p domain.Page) (users []*domain.User, next string, err error) {
	defer derrors.Wrap(&err, "embedded.ListUsers(%q)", prefix)
	cur, _, err := pagetoken.Read(p, listUsers)
	if err != nil {
		return nil, "", err
	}
	prefix = strings.ToLower(prefix)
	// The usernames starting with prefix are those from prefix up to, not
	// including, prefix with its last byte incremented: an index range.
	from, to := prefix, ""
	if prefix != "" {
		to = prefixEnd(prefix)
	}
	if cur.Key > from {
		from = cur.Key
	}
	rows, err := scanAll(rowsOf(s.rq(ctx).QueryContext(ctx, "SELECT "+userCols+` FROM users
		WHERE username_key >= ?1 AND (username_key > ?2) AND (?3 = '' OR username_key < ?3)
		ORDER BY username_key LIMIT ?4`, from, cur.Key, to, p.Size+1)), scanUser)
	if err != nil {
		return nil, "", err
	}
	users, next = pagetoken.Page(rows, p.Size, func(u *domain.User) pagetoken.Cursor {
		return pagetoken.Cursor{List: listUsers, Key: strings.ToLower(u.Username)}
	})
	return users, next, nil
}

// prefixEnd returns the smallest string above every string starting with
// prefix, or "" if there is none (prefix is all 0xff bytes).
func prefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
