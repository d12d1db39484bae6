-- Version 5: revocable accounts. disabled keeps an account from signing in
-- or using any token. session_epoch is when the account's sessions last
-- ended all at once (Unix microseconds, 0 never); every refresh session
-- records the epoch it was issued under in epoch, and one older than its
-- user's is refused. Existing rows start at 0: nothing ended yet.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
