package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters for new hashes: OWASP's minimum recommended
// configuration (m=19456 KiB = 19 MiB, t=2, p=1). BenchmarkHashPassword on
// the project's 2-core AMD EPYC machine: 36-43 ms per hash (quiet machine),
// so the server sustains roughly 50 password checks a second. 64 MiB with
// t=3 measured ~220 ms, too slow for a 2-core server under a login burst.
// Hashes record their parameters, so these can be raised later;
// PasswordNeedsRehash tells the login path when to re-hash.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32
)

// Bounds on parameters read back from stored hashes, so a corrupted or
// tampered row cannot make a login allocate gigabytes or spin for minutes.
const (
	maxArgonMemoryKiB = 1 << 20 // 1 GiB
	maxArgonTime      = 64
	maxArgonThreads   = 16
)

var errBadHash = errors.New("auth: stored password hash is not a valid argon2id PHC string")

// hashSlots caps concurrent Argon2 computations at the number of usable
// cores: with one lane each, more in flight cannot finish sooner, they only
// add 19 MiB apiece, which would let a burst of logins exhaust memory.
var hashSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

func argonKey(password string, salt []byte, p argonParams) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, p.keyLen)
}

type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
	keyLen  uint32
}

var currentParams = argonParams{memory: argonMemoryKiB, time: argonTime, threads: argonThreads, keyLen: argonKeyLen}

// HashPassword returns password's argon2id hash in PHC string format,
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", with a fresh random salt.
// Password policy (length, etc.) is the caller's.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	p := currentParams
	key := argonKey(password, salt, p)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches encoded, using the
// parameters recorded in encoded. An error means encoded is unusable, not
// that the password is wrong.
func CheckPassword(encoded, password string) (bool, error) {
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	got := argonKey(password, salt, p)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// PasswordNeedsRehash reports whether encoded was made with parameters other
// than HashPassword's current ones, so a successful login can upgrade it.
func PasswordNeedsRehash(encoded string) bool {
	p, salt, _, err := parsePHC(encoded)
	return err != nil || p != currentParams || len(salt) != argonSaltLen
}

func parsePHC(encoded string) (p argonParams, salt, key []byte, err error) {
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("auth: unsupported argon2 version %q", parts[2])
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return p, nil, nil, errBadHash
	}
	m, err1 := phcUint(fields[0], "m=", maxArgonMemoryKiB)
	t, err2 := phcUint(fields[1], "t=", maxArgonTime)
	th, err3 := phcUint(fields[2], "p=", maxArgonThreads)
	if err := errors.Join(err1, err2, err3); err != nil || m < 8*th || t < 1 || th < 1 {
		return p, nil, nil, errBadHash
	}
	salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, errBadHash
	}
	return argonParams{memory: uint32(m), time: uint32(t), threads: uint8(th), keyLen: uint32(len(key))}, salt, key, nil
}

func phcUint(field, prefix string, limit uint64) (uint64, error) {
	v, ok := strings.CutPrefix(field, prefix)
	if !ok {
		return 0, errBadHash
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n > limit {
		return 0, errBadHash
	}
	return n, nil
}
