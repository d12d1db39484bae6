package validate

import (
	"slices"

	"github.com/backbeat/backbeat/server/domain"
)

// UpdateMask checks an update mask's paths: at least one, each among allowed,
// none twice. An empty mask is refused rather than read as "everything", so
// a client that forgets it cannot wipe fields it did not mean to touch.
func UpdateMask(field string, paths []string, allowed ...string) error {
	if len(paths) == 0 {
		return domain.Invalid(field, "must name at least one field")
	}
	for i, p := range paths {
		if !slices.Contains(allowed, p) {
			return domain.Invalid(field, "field %q cannot be updated (allowed: %v)", p, allowed)
		}
		if slices.Contains(paths[:i], p) {
			return domain.Invalid(field, "field %q is named twice", p)
		}
	}
	return nil
}
