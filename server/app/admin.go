package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/embedded"
)

// ValidateStore refuses a store configuration (--data-dir, --store,
// --cassandra-*) that cannot be opened, as Validate does for serve.
func ValidateStore(c Config) error {
	var errs []error
	if c.DataDir == "" && c.Store != "cassandra" {
		errs = append(errs, configError("data-dir", "must not be empty"))
	}
	switch c.Store {
	case "embedded":
	case "cassandra":
		errs = append(errs, ValidateCassandra(c.Cassandra))
	default:
		errs = append(errs, configError("store", "want embedded or cassandra, got %q", c.Store))
	}
	return errors.Join(errs...)
}

// OpenUsers opens the configured store (the embedded one in DataDir, or
// Cassandra) for an operator's account changes (backbeat admin) and
// returns the user service over it, with nothing else of a server: no
// listener, broker or issuer. close releases the store.
func OpenUsers(ctx context.Context, cfg Config) (_ *domain.Users, close func() error, err error) {
	if err := ValidateStore(cfg); err != nil {
		return nil, nil, err
	}
	cfg = cfg.derived()
	if cfg.Store == "embedded" {
		// An operator's change goes to an existing deployment: a mistyped
		// --data-dir must not quietly create an empty store instead.
		if _, err := os.Stat(filepath.Join(cfg.DataDir, embedded.DBFile)); err != nil {
			return nil, nil, fmt.Errorf("no embedded store in %s (%v): give the --data-dir serve uses", cfg.DataDir, err)
		}
	}
	stores, _, closeStore, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	// No credentials: the operator's methods neither hash passwords nor
	// issue tokens.
	return domain.NewUsers(stores, nil, domain.UsersConfig{}), closeStore, nil
}
