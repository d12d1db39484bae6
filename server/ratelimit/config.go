package ratelimit

import (
	"time"
)

// Config is one replica's limits. Every bound is per replica.
type Config struct {
	// Enabled turns every limit on; off, the guard only records client
	// addresses (failed sign-ins are still logged with theirs).
	Enabled bool
	// TrustedProxies (CIDRs or addresses) may name their client in
	// X-Forwarded-For; see Proxies.ClientAddr.
	TrustedProxies []string
	// Address budgets every HTTP request (RPCs, uploads, media) per client
	// address, before authentication and before the body is read.
	Address Rate
	// SignIn budgets the strict class (Login, Register, RefreshToken) per
	// client address.
	SignIn Rate
	// Writes budgets each account's RPCs that change something, and Plays
	// its ReportPlayback calls (which do not count as writes).
	Writes, Plays Rate
	// LoginAccount and LoginAddress are the growing delays after failed
	// sign-ins, per login name and per client address.
	LoginAccount, LoginAddress Backoff
	// Hashes, Searches and Uploads bound password hashes, searches and
	// upload bodies in flight (0: unbounded).
	Hashes, Searches, Uploads int
	// TranscodeBacklog refuses new upload URLs while more transcode jobs
	// than this wait (0: no bound).
	TranscodeBacklog int
	// MaxKeys bounds each keyed table (0: DefaultMaxKeys).
	MaxKeys int
}

// HashWait, SearchWait: how long a password hash or a search waits for a
// slot before the request is refused. A hash takes ~40 ms and a search a
// few ms, so a short wait rides out a burst without building a queue.
const (
	HashWait   = 100 * time.Millisecond
	SearchWait = 50 * time.Millisecond
	// BacklogRetry is what a refused upload URL is told to wait: transcodes
	// take tens of seconds each.
	BacklogRetry = 30 * time.Second
	// UploadRetry is what a refused upload body is told to wait.
	UploadRetry = 5 * time.Second
)
