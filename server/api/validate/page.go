package validate

import "github.com/backbeat/backbeat/server/domain"

const (
	// DefaultPageSize is used when a request leaves page_size at 0 and its
	// proto comment names no other default.
	DefaultPageSize = 50
	// MaxPageSize bounds page_size unless a request's comment says less.
	MaxPageSize = domain.MaxPageSize
	// MaxTokenBytes bounds opaque tokens (page and refresh tokens): real ones
	// are far shorter, and the cap keeps junk from reaching stores and hashes.
	MaxTokenBytes = 1024
)

// PageSize resolves page_size: 0 means def, anything outside 1..max is
// refused rather than clamped, so a client learns its request was not honoured.
func PageSize(field string, v int32, def, max int) (int, error) {
	if v == 0 {
		return def, nil
	}
	if v < 0 || int64(v) > int64(max) {
		return 0, domain.Invalid(field, "must be between 1 and %d (0 means %d)", max, def)
	}
	return int(v), nil
}

// PageToken checks an optional page token. Its content is the store's to
// judge; only its size is checked here.
func PageToken(field, v string) error {
	if len(v) > MaxTokenBytes {
		return domain.Invalid(field, "must be at most %d bytes", MaxTokenBytes)
	}
	return nil
}

// Token checks a required opaque token, such as a refresh token.
func Token(field, v string) error {
	if v == "" {
		return domain.Invalid(field, "is required")
	}
	return PageToken(field, v)
}

// Page checks the usual page_size and page_token pair of a list request.
func Page(size int32, token string, def, max int) (domain.Page, error) {
	n, err := PageSize("page_size", size, def, max)
	if err != nil {
		return domain.Page{}, err
	}
	if err := PageToken("page_token", token); err != nil {
		return domain.Page{}, err
	}
	return domain.Page{Size: n, Token: token}, nil
}
