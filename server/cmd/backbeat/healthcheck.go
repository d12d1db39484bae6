package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/backbeat/backbeat/server/app"
)

// healthcheckCmd is 'backbeat healthcheck': it asks the server at --addr
// for --path and fails unless it answers 200. It is the container image's
// HEALTHCHECK, which has no curl; an unspecified listen address (0.0.0.0,
// [::]) is asked on loopback.
func (e environ) healthcheckCmd(args []string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	addr := app.Defaults().Addr
	fs.StringVar(&addr, "addr", addr, "the server's listen address host:port (env "+app.EnvVar("addr")+")")
	path := fs.String("path", "/healthz", "what to ask: /healthz (alive) or /readyz (ready to serve)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: --addr: %w", err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + *path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s: %s", url, res.Status, body)
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", url, body)
	return nil
}
