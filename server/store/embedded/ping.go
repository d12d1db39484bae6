package embedded

import (
	"context"
	"os"

	"github.com/backbeat/backbeat/server/domain"
)

// Ping reads from the database, and checks that the file served is still
// the one at its path: a data directory moved, deleted or replaced under a
// running server (a volume unmounted, a clean-up gone wrong) leaves it
// reading and writing a file that no restart will find, so the replica
// must leave rotation before it takes more writes.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return &domain.Error{Kind: domain.KindUnavailable, Msg: "the database cannot be read", Err: err}
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return &domain.Error{Kind: domain.KindUnavailable, Msg: "the database file is gone", Err: err}
	}
	if !os.SameFile(fi, s.file) {
		return domain.Unavailable("the database file %s was replaced since the server opened it", s.path)
	}
	return nil
}
