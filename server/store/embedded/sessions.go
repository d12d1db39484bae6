package embedded

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
)

func (s userStore) CreateSession(ctx context.Context, sess *domain.Session) (err error) {
	defer derrors.Wrap(&err, "embedded.CreateSession(%q)", sess.UserID)
	_, err = s.wq(ctx).ExecContext(ctx, "INSERT INTO sessions (token_hash, user_id, family_id, epoch, create_time, expire_time) VALUES (?, ?, ?, ?, ?, ?)",
		sess.TokenHash, sess.UserID, sess.FamilyID, sess.Epoch, timeCol(sess.CreateTime), timeCol(sess.ExpireTime))
	switch {
	case uniqueViolation(err, "sessions.token_hash"):
		return domain.AlreadyExists("token_hash", "session already exists")
	case foreignKeyViolation(err):
		return domain.NotFound("user", sess.UserID)
	}
	return err
}

// ConsumeSession deletes and returns in one statement on the single write
// connection, so of concurrent consumers exactly one sees the row.
func (s userStore) ConsumeSession(ctx context.Context, tokenHash string) (sess *domain.Session, err error) {
	defer derrors.Wrap(&err, "embedded.ConsumeSession")
	var got domain.Session
	var ct, et int64
	err = s.wq(ctx).QueryRowContext(ctx, "DELETE FROM sessions WHERE token_hash = ? RETURNING token_hash, user_id, family_id, epoch, create_time, expire_time",
		tokenHash).Scan(&got.TokenHash, &got.UserID, &got.FamilyID, &got.Epoch, &ct, &et)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("session", "")
	}
	if err != nil {
		return nil, err
	}
	got.CreateTime, got.ExpireTime = colTime(ct), colTime(et)
	if !got.ExpireTime.After(time.Now()) {
		return nil, domain.NotFound("session", "")
	}
	return &got, nil
}

func (s userStore) DeleteSession(ctx context.Context, tokenHash string) (err error) {
	defer derrors.Wrap(&err, "embedded.DeleteSession")
	_, err = s.wq(ctx).ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = ?", tokenHash)
	return err
}

func (s userStore) RecordConsumedSession(ctx context.Context, c *domain.ConsumedSession) (err error) {
	defer derrors.Wrap(&err, "embedded.RecordConsumedSession")
	// Expired records are pruned here: they only ever grow by this path.
	if _, err := s.wq(ctx).ExecContext(ctx, "DELETE FROM consumed_sessions WHERE expire_time <= ?", timeCol(time.Now())); err != nil {
		return err
	}
	_, err = s.wq(ctx).ExecContext(ctx, "INSERT OR REPLACE INTO consumed_sessions (token_hash, family_id, expire_time) VALUES (?, ?, ?)",
		c.TokenHash, c.FamilyID, timeCol(c.ExpireTime))
	return err
}

func (s userStore) GetConsumedSession(ctx context.Context, tokenHash string) (_ *domain.ConsumedSession, err error) {
	defer derrors.Wrap(&err, "embedded.GetConsumedSession")
	got := domain.ConsumedSession{TokenHash: tokenHash}
	var et int64
	err = s.rq(ctx).QueryRowContext(ctx, "SELECT family_id, expire_time FROM consumed_sessions WHERE token_hash = ?", tokenHash).Scan(&got.FamilyID, &et)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("consumed session", "")
	}
	if err != nil {
		return nil, err
	}
	got.ExpireTime = colTime(et)
	if !got.ExpireTime.After(time.Now()) {
		return nil, domain.NotFound("consumed session", "")
	}
	return &got, nil
}

func (s userStore) RevokeSessionFamily(ctx context.Context, familyID string) (err error) {
	defer derrors.Wrap(&err, "embedded.RevokeSessionFamily(%q)", familyID)
	if familyID == "" {
		return domain.Invalid("family_id", "empty session family")
	}
	_, err = s.wq(ctx).ExecContext(ctx, "DELETE FROM sessions WHERE family_id = ?", familyID)
	return err
}
