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
	FamilyID   string    `db:"family_id"`
	Epoch      int64     `db:"epoch"`
	CreateTime time.Time `db:"create_time"`
	ExpireTime time.Time `db:"expire_time"`
}

// maxTTL is Cassandra's limit on a TTL (20 years); sessions meant to last
// longer simply get none.
const maxTTL = 20 * 365 * 24 * time.Hour

// ttlUntil is the TTL, in seconds, of a row that lasts until expire: 0
// (none) past maxTTL; an already expired row is kept a moment, so reading
// it reports it expired like any other.
func ttlUntil(expire time.Time) int64 {
	left := time.Until(expire)
	if left >= maxTTL {
		return 0
	}
	return max(1, int64(left/time.Second)+1)
}

func (u userStore) CreateSession(ctx context.Context, sess *domain.Session) (err error) {
	defer wrap(&err, "cassandra.CreateSession(%q)", sess.UserID)
	ttl := ttlUntil(sess.ExpireTime)
	b := u.logged(ctx)
	b.add(`INSERT INTO sessions (token_hash, user_id, family_id, epoch, create_time, expire_time) VALUES (?, ?, ?, ?, ?, ?) USING TTL ?`,
		sess.TokenHash, sess.UserID, sess.FamilyID, sess.Epoch, msTime(sess.CreateTime), msTime(sess.ExpireTime), ttl)
	b.add(`INSERT INTO sessions_by_user (user_id, token_hash) VALUES (?, ?) USING TTL ?`, sess.UserID, sess.TokenHash, ttl)
	if sess.FamilyID != "" {
		b.add(`INSERT INTO sessions_by_family (family_id, token_hash, user_id) VALUES (?, ?, ?) USING TTL ?`,
			sess.FamilyID, sess.TokenHash, sess.UserID, ttl)
	}
	if err := u.exec(b); err != nil {
		return err
	}
	return nil
}

func (u userStore) ConsumeSession(ctx context.Context, tokenHash string) (_ *domain.Session, err error) {
	defer wrap(&err, "cassandra.ConsumeSession")
	var r sessionRow
	err = u.read(ctx, `SELECT token_hash, user_id, family_id, epoch, create_time, expire_time FROM sessions WHERE token_hash = ?`, tokenHash).Get(&r)
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
	b := u.logged(ctx)
	b.add(`DELETE FROM sessions_by_user WHERE user_id = ? AND token_hash = ?`, r.UserID, tokenHash)
	if r.FamilyID != "" {
		b.add(`DELETE FROM sessions_by_family WHERE family_id = ? AND token_hash = ?`, r.FamilyID, tokenHash)
	}
	if err := u.exec(b); err != nil {
		u.log.Warn("cassandra: session index left behind", "err", err)
	}
	if !r.ExpireTime.After(time.Now()) {
		return nil, domain.NotFound("session", "(token)")
	}
	return &domain.Session{TokenHash: r.TokenHash, UserID: r.UserID, FamilyID: r.FamilyID, Epoch: r.Epoch, CreateTime: r.CreateTime, ExpireTime: r.ExpireTime}, nil
}

func (u userStore) DeleteSession(ctx context.Context, tokenHash string) (err error) {
	defer wrap(&err, "cassandra.DeleteSession")
	var userID, familyID string
	err = u.read(ctx, `SELECT user_id, family_id FROM sessions WHERE token_hash = ?`, tokenHash).Scan(&userID, &familyID)
	if errors.Is(err, gocql.ErrNotFound) {
		return nil
	}
	if err == nil {
		b := u.logged(ctx)
		b.add(`DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
		b.add(`DELETE FROM sessions_by_user WHERE user_id = ? AND token_hash = ?`, userID, tokenHash)
		if familyID != "" {
			b.add(`DELETE FROM sessions_by_family WHERE family_id = ? AND token_hash = ?`, familyID, tokenHash)
		}
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

func (u userStore) RecordConsumedSession(ctx context.Context, c *domain.ConsumedSession) (err error) {
	defer wrap(&err, "cassandra.RecordConsumedSession")
	return u.write(ctx, `INSERT INTO consumed_sessions (token_hash, family_id, expire_time) VALUES (?, ?, ?) USING TTL ?`,
		c.TokenHash, c.FamilyID, msTime(c.ExpireTime), ttlUntil(c.ExpireTime)).Exec()
}

func (u userStore) GetConsumedSession(ctx context.Context, tokenHash string) (_ *domain.ConsumedSession, err error) {
	defer wrap(&err, "cassandra.GetConsumedSession")
	got := domain.ConsumedSession{TokenHash: tokenHash}
	err = u.read(ctx, `SELECT family_id, expire_time FROM consumed_sessions WHERE token_hash = ?`, tokenHash).Scan(&got.FamilyID, &got.ExpireTime)
	if err != nil {
		return nil, notFound(err, "consumed session", "(token)")
	}
	if !got.ExpireTime.After(time.Now()) {
		return nil, domain.NotFound("consumed session", "(token)")
	}
	return &got, nil
}

// RevokeSessionFamily deletes the family's sessions and their index rows;
// the family's partition goes last, so a failure leaves it to retry from.
func (u userStore) RevokeSessionFamily(ctx context.Context, familyID string) (err error) {
	defer wrap(&err, "cassandra.RevokeSessionFamily(%q)", familyID)
	if familyID == "" {
		return domain.Invalid("family_id", "empty session family")
	}
	type member struct {
		TokenHash string `db:"token_hash"`
		UserID    string `db:"user_id"`
	}
	var members []member
	if err := u.read(ctx, `SELECT token_hash, user_id FROM sessions_by_family WHERE family_id = ?`, familyID).Select(&members); err != nil {
		return err
	}
	deletes := make([]stmt, 0, 2*len(members))
	for _, m := range members {
		deletes = append(deletes,
			stmt{`DELETE FROM sessions WHERE token_hash = ?`, []any{m.TokenHash}},
			stmt{`DELETE FROM sessions_by_user WHERE user_id = ? AND token_hash = ?`, []any{m.UserID, m.TokenHash}})
	}
	if err := u.writeEach(ctx, deletes); err != nil {
		return err
	}
	return u.write(ctx, `DELETE FROM sessions_by_family WHERE family_id = ?`, familyID).Exec()
}
