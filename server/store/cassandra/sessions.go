package cassandra

import (
	"context"
	"errors"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
)

type sessionRow struct {
	TokenHash  string    `db:"token_hash"`
	UserID     string    `db:"user_id"`
	CreateTime time.Time `db:"create_time"`
	ExpireTime time.Time `db:"expire_time"`
}

// maxTTL is Cassandra's limit on a TTL (20 years); sessions meant to last
// longer simply get none.
const maxTTL = 20 * 365 * 24 * time.Hour

func (u userStore) CreateSession(ctx context.Context, sess *domain.Session) (err error) {
	defer wrap(&err, "cassandra.CreateSession(%q)", sess.UserID)
	var ttl int64
	if left := time.Until(sess.ExpireTime); left < maxTTL {
		// An already expired session is kept a moment, so consuming it
		// reports it expired like any other.
		ttl = max(1, int64(left/time.Second)+1)
	}
	b := u.logged(ctx)
	b.add(`INSERT INTO sessions (token_hash, user_id, create_time, expire_time) VALUES (?, ?, ?, ?) USING TTL ?`,
		sess.TokenHash, sess.UserID, msTime(sess.CreateTime), msTime(sess.ExpireTime), ttl)
	b.add(`INSERT INTO sessions_by_user (user_id, token_hash) VALUES (?, ?) USING TTL ?`, sess.UserID, sess.TokenHash, ttl)
	if err := u.exec(b); err != nil {
		return err
	}
	return nil
}

func (u userStore) ConsumeSession(ctx context.Context, tokenHash string) (_ *domain.Session, err error) {
	defer wrap(&err, "cassandra.ConsumeSession")
	var r sessionRow
	err = u.read(ctx, `SELECT token_hash, user_id, create_time, expire_time FROM sessions WHERE token_hash = ?`, tokenHash).Get(&r)
	if err != nil {
		return nil, notFound(err, "session", "(token)")
	}
	// The conditional delete is the one place consumers race: exactly one
	// of them sees it applied.
	applied, err := u.once(ctx, `DELETE FROM sessions WHERE token_hash = ? IF EXISTS`, tokenHash).ExecCAS()
	if err != nil {
		return nil, err
	}
	if !applied {
		return nil, domain.NotFound("session", "(token)")
	}
	if err := u.write(ctx, `DELETE FROM sessions_by_user WHERE user_id = ? AND token_hash = ?`, r.UserID, tokenHash).Exec(); err != nil {
		u.log.Warn("cassandra: session index left behind", "err", err)
	}
	if !r.ExpireTime.After(time.Now()) {
		return nil, domain.NotFound("session", "(token)")
	}
	return &domain.Session{TokenHash: r.TokenHash, UserID: r.UserID, CreateTime: r.CreateTime, ExpireTime: r.ExpireTime}, nil
}

func (u userStore) DeleteSession(ctx context.Context, tokenHash string) (err error) {
	defer wrap(&err, "cassandra.DeleteSession")
	var userID string
	err = u.read(ctx, `SELECT user_id FROM sessions WHERE token_hash = ?`, tokenHash).Scan(&userID)
	if errors.Is(err, gocql.ErrNotFound) {
		return nil
	}
	if err == nil {
		b := u.logged(ctx)
		b.add(`DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
		b.add(`DELETE FROM sessions_by_user WHERE user_id = ? AND token_hash = ?`, userID, tokenHash)
		err = u.exec(b)
	}
	if err != nil {
		return err
	}
	return nil
}

func (u userStore) deleteSessionsOf(ctx context.Context, userID string) error {
	var hashes []string
	if err := u.read(ctx, `SELECT token_hash FROM sessions_by_user WHERE user_id = ?`, userID).Select(&hashes); err != nil {
		return err
	}
	sessions := make([]stmt, len(hashes))
	for i, h := range hashes {
		sessions[i] = stmt{`DELETE FROM sessions WHERE token_hash = ?`, []any{h}}
	}
	if err := u.writeEach(ctx, sessions); err != nil {
		return err
	}
	return u.write(ctx, `DELETE FROM sessions_by_user WHERE user_id = ?`, userID).Exec()
}
