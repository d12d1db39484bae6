package derrors_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/backbeat/backbeat/server/derrors"
)

func get(name string, fail error) (err error) {
	defer derrors.Wrap(&err, "Get(%q)", name)
	return fail
}

func TestWrap(t *testing.T) {
	if err := get("a", nil); err != nil {
		t.Fatalf("nil error wrapped: %v", err)
	}
	err := get("a", fs.ErrNotExist)
	if got, want := err.Error(), `Get("a"): file does not exist`; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cause lost in %v", err)
	}
}
