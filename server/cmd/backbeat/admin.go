package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/domain"
)

const adminUsage = `usage: backbeat admin grant USERNAME [flags]
       backbeat admin revoke USERNAME [flags]
       backbeat admin list [flags]

  grant   make the existing account USERNAME (matched exactly) an admin
  revoke  take the admin role from USERNAME
  list    list the accounts holding the admin role

They work on the store serve uses: the same --data-dir, or --store cassandra
and the same --cassandra-* flags (and BACKBEAT_* variables); 'backbeat admin
grant -h' lists them. Access tokens carry roles: the user signs in again to
use a new one.
`

// adminCmd changes who is admin directly in the store: the operator's
// action, and how a deployment gets its first admin.
func (e environ) adminCmd(args []string) error {
	if len(args) == 0 || !slices.Contains([]string{"grant", "revoke", "list"}, args[0]) {
		if len(args) > 0 && slices.Contains([]string{"-h", "--help", "help"}, args[0]) {
			fmt.Fprint(e.stdout, adminUsage)
			return nil
		}
		fmt.Fprint(e.stderr, adminUsage)
		if len(args) == 0 {
			return errors.New("admin: no subcommand")
		}
		return fmt.Errorf("admin: unknown subcommand %q", args[0])
	}
	sub := args[0]
	fs := flag.NewFlagSet("admin "+sub, flag.ContinueOnError)
	cfg := app.Defaults()
	cfg.BindStoreFlags(fs)
	want := 1
	if sub == "list" {
		want = 0
	}
	names, err := e.parseArgs(fs, args[1:], want)
	if err != nil {
		return err
	}
	if len(names) < want {
		fmt.Fprint(e.stderr, adminUsage)
		return fmt.Errorf("admin %s: which account? give its USERNAME", sub)
	}
	cfg.Logger = cfg.NewLogger(e.stderr)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	users, closeStore, err := app.OpenUsers(ctx, cfg)
	if err != nil {
		return fmt.Errorf("admin %s: %w", sub, err)
	}
	err = e.admin(ctx, users, sub, names)
	return errors.Join(err, closeStore())
}

func (e environ) admin(ctx context.Context, users *domain.Users, sub string, names []string) error {
	if sub == "list" {
		admins, err := users.OperatorListAdmins(ctx)
		if err != nil {
			return fmt.Errorf("admin list: %w", err)
		}
		if len(admins) == 0 {
			fmt.Fprintln(e.stdout, "backbeat: no admins; make one with 'backbeat admin grant USERNAME'")
		}
		for _, u := range admins {
			fmt.Fprintf(e.stdout, "%s\t%s\n", u.Username, u.ID)
		}
		return nil
	}
	username := names[0]
	u, changed, err := users.OperatorSetAdmin(ctx, username, sub == "grant")
	if domain.IsKind(err, domain.KindNotFound) {
		return fmt.Errorf("admin %s: no account named %q in this store (usernames match exactly; the account must exist first)", sub, username)
	}
	if err != nil {
		return fmt.Errorf("admin %s %s: %w", sub, username, err)
	}
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	switch {
	case changed && sub == "grant":
		fmt.Fprintf(e.stdout, "backbeat: %s (%s) is now admin; roles %s; they sign in again to use it\n", u.Username, u.ID, strings.Join(roles, ","))
	case changed:
		fmt.Fprintf(e.stdout, "backbeat: %s (%s) is no longer admin; roles %s\n", u.Username, u.ID, strings.Join(roles, ","))
	case sub == "grant":
		fmt.Fprintf(e.stdout, "backbeat: %s (%s) was already admin; nothing changed\n", u.Username, u.ID)
	default:
		fmt.Fprintf(e.stdout, "backbeat: %s (%s) was not admin; nothing changed\n", u.Username, u.ID)
	}
	return nil
}
