package ratelimit

import "context"

// Hasher is the password part of the domain's credentials port.
type Hasher interface {
	HashPassword(password string) (string, error)
	CheckPassword(encoded, password string) (bool, error)
}

// LimitedHash runs h's hashes within slots: when all are busy past
// HashWait the caller gets an unavailable refusal with RetryInfo instead of
// joining a queue of 19 MiB Argon2 computations.
type LimitedHash struct {
	H     Hasher
	Slots *Slots
	// Refused, when set, is told "overloaded" of each refusal.
	Refused func(reason string)
}

func (l LimitedHash) overloaded() error {
	if l.Refused != nil {
		l.Refused("overloaded")
	}
	return Overloaded("too many sign-ins in progress", RetryAfter)
}

func (l LimitedHash) HashPassword(password string) (string, error) {
	release, ok := l.Slots.Acquire(context.Background())
	if !ok {
		return "", l.overloaded()
	}
	defer release()
	return l.H.HashPassword(password)
}

func (l LimitedHash) CheckPassword(encoded, password string) (bool, error) {
	release, ok := l.Slots.Acquire(context.Background())
	if !ok {
		return false, l.overloaded()
	}
	defer release()
	return l.H.CheckPassword(encoded, password)
}
