package validate

import "github.com/backbeat/backbeat/server/domain"

// ID checks a required entity id.
func ID(field, v string) error {
	if v == "" {
		return domain.Invalid(field, "is required")
	}
	if !domain.ValidID(v) {
		return domain.Invalid(field, "must be a valid id")
	}
	return nil
}

// OptionalID checks an id that may be left empty.
func OptionalID(field, v string) error {
	if v == "" {
		return nil
	}
	return ID(field, v)
}

// IDs checks a list of min..max valid ids in which repeats are meaningful
// (the same track added twice to a playlist).
func IDs(field string, ids []string, min, max int) error {
	if err := Count(field, len(ids), min, max); err != nil {
		return err
	}
	for i, id := range ids {
		if err := ID(Item(field, i), id); err != nil {
			return err
		}
	}
	return nil
}

// UniqueIDs is IDs for lists that name a set, where a repeat is a client
// mistake worth reporting rather than silently collapsing.
func UniqueIDs(field string, ids []string, min, max int) error {
	if err := IDs(field, ids, min, max); err != nil {
		return err
	}
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		if seen[id] {
			return domain.Invalid(Item(field, i), "duplicates an earlier id %q", id)
		}
		seen[id] = true
	}
	return nil
}
