// Package keycloaktest runs a real Keycloak server for tests that must prove
// Backbeat's OIDC token verification against an actual provider rather than
// a hand-rolled fake.
//
// The Quarkus distribution of Keycloak is fetched from Maven Central once
// (via mvn, so it lands in ~/.m2), unpacked and built into an optimized
// image under ~/.cache/backbeat/keycloak-<Version>/, together with an H2
// database template that already holds the backbeat realm. Every Start
// after that copies the template into a fresh directory and launches the
// JVM on a free loopback port; nothing is shared between runs except
// read-only files.
//
// Starting needs Java 17 or newer and, the first time only, Maven. Tests
// are opt-in with BACKBEAT_KEYCLOAK=1 (see Shared).
package keycloaktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backbeat/backbeat/server/testenv/proctest"
)

// startTimeout bounds a whole Start, including a cold first run (Maven
// fetch, unpack, build, template) on a slow, busy machine.
const startTimeout = 10 * time.Minute

// errPortTaken marks a start that lost the race for its port to another
// process between our probe and Keycloak's bind; Start then retries.
var errPortTaken = errors.New("keycloaktest: HTTP port already in use")

// Server is a running Keycloak. Its methods are safe for concurrent use.
type Server struct {
	home       string
	removeHome bool
	logFile    string
	baseURL    string
	issuer     string
	proc       *proctest.Proc
	http       *http.Client

	closeOnce sync.Once
	closeErr  error
}

// Start launches Keycloak with the backbeat realm and returns once the
// realm's discovery document is served. dir is a directory owned by the
// caller (t.TempDir() is ideal) under which the server keeps its database
// and log; if empty, a temporary directory is used and removed by Close.
// logf, which may be nil, receives progress messages during Start only.
//
// The JVM is killed if the calling process dies, so a crashed or
// interrupted test binary cannot leak it; callers should still Close.
func Start(ctx context.Context, dir string, logf func(string, ...any)) (*Server, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	in, err := prepare(ctx, logf)
	if err != nil {
		return nil, err
	}

	s := &Server{http: &http.Client{Timeout: 30 * time.Second}}
	if dir == "" {
		if s.home, err = os.MkdirTemp("", "backbeat-keycloak-"); err != nil {
			return nil, fmt.Errorf("keycloaktest: %w", err)
		}
		s.removeHome = true
	} else {
		s.home = filepath.Join(dir, "keycloak")
		// A leftover home from an earlier run in the same dir would mix
		// old and new state; start clean.
		if err := os.RemoveAll(s.home); err != nil {
			return nil, fmt.Errorf("keycloaktest: %w", err)
		}
		if err := os.MkdirAll(s.home, 0o755); err != nil {
			return nil, fmt.Errorf("keycloaktest: %w", err)
		}
	}
	fail := func(err error) (*Server, error) {
		if s.removeHome {
			os.RemoveAll(s.home)
		}
		return nil, err
	}
	if err := prepareHome(in.dist, s.home); err != nil {
		return fail(err)
	}
	if err := copyFile(in.template, filepath.Join(s.home, "data", "h2", "keycloakdb.mv.db")); err != nil {
		return fail(fmt.Errorf("keycloaktest: copying database template: %w", err))
	}
	s.logFile = filepath.Join(s.home, "keycloak.log")

	const attempts = 3
	for i := 1; ; i++ {
		err := s.launch(ctx, in)
		if err == nil {
			break
		}
		if !errors.Is(err, errPortTaken) || i == attempts {
			return fail(err)
		}
		logf("keycloaktest: port taken before Keycloak could bind it, retrying")
	}
	logf("keycloaktest: Keycloak %s ready at %s in %s (log: %s)",
		Version, s.baseURL, time.Since(began).Round(time.Millisecond), s.logFile)
	return s, nil
}

// launch starts the JVM on a fresh port and waits until it serves the realm.
func (s *Server) launch(ctx context.Context, in *install) error {
	port, err := proctest.FreePort()
	if err != nil {
		return fmt.Errorf("keycloaktest: %w", err)
	}
	s.baseURL = "http://127.0.0.1:" + strconv.Itoa(port)
	// Keycloak derives the issuer from the request's host when no hostname
	// is configured; every request here goes to 127.0.0.1:port, so this is
	// exactly the iss in the tokens.
	s.issuer = s.baseURL + "/realms/" + Realm

	lf, err := os.Create(s.logFile)
	if err != nil {
		return fmt.Errorf("keycloaktest: %w", err)
	}
	var jvmExtra []string
	if in.archive != "" {
		jvmExtra = append(jvmExtra, "-XX:SharedArchiveFile="+in.archive)
	}
	cmd := javaCommand(in.java, in.dist, s.home, true, jvmExtra,
		"start", "--optimized",
		"--http-enabled=true",
		"--http-host=127.0.0.1",
		"--http-port="+strconv.Itoa(port),
		"--hostname-strict=false",
		// Production mode would otherwise form a JGroups cluster, which
		// costs start-up time and binds non-loopback ports.
		"--cache=local",
	)
	cmd.Stdout, cmd.Stderr = lf, lf
	p, err := proctest.Spawn(cmd)
	lf.Close() // the child holds its own descriptor
	if err != nil {
		return fmt.Errorf("keycloaktest: starting %s: %w", in.java, err)
	}
	if err := s.waitReady(ctx, p); err != nil {
		p.Kill()
		if errors.Is(err, errPortTaken) {
			return err
		}
		return fmt.Errorf("%w\nlast lines of %s:\n%s", err, s.logFile, proctest.LogTail(s.logFile, 40))
	}
	s.proc = p
	return nil
}

// waitReady polls the realm's discovery document: it is served only once
// Keycloak has finished bootstrapping and the realm exists, which is exactly
// what a test needs, and it also confirms the advertised issuer.
func (s *Server) waitReady(ctx context.Context, p *proctest.Proc) error {
	wellKnown := s.issuer + "/.well-known/openid-configuration"
	probe := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.Done():
			if log, err := os.ReadFile(s.logFile); err == nil &&
				(strings.Contains(string(log), "Address already in use") || strings.Contains(string(log), "Port already bound")) {
				return errPortTaken
			}
			return fmt.Errorf("keycloaktest: Keycloak exited before becoming ready: %v", p.Err())
		case <-ctx.Done():
			return fmt.Errorf("keycloaktest: Keycloak not ready at %s: %w", wellKnown, ctx.Err())
		case <-tick.C:
		}
		issuer, ok := discoveryIssuer(ctx, probe, wellKnown)
		if !ok {
			continue
		}
		if issuer != s.issuer {
			return fmt.Errorf("keycloaktest: Keycloak advertises issuer %q, expected %q", issuer, s.issuer)
		}
		return nil
	}
}

func discoveryIssuer(ctx context.Context, c *http.Client, u string) (string, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", false
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return "", false
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return "", false
	}
	return doc.Issuer, true
}

// Issuer is the backbeat realm's issuer URL, e.g.
// http://127.0.0.1:PORT/realms/backbeat, identical to the iss of its tokens.
func (s *Server) Issuer() string { return s.issuer }

// ClientID is the client tokens are issued to and the audience they carry.
func (s *Server) ClientID() string { return ClientID }

// BaseURL is the server root, e.g. http://127.0.0.1:PORT, for the admin API.
func (s *Server) BaseURL() string { return s.baseURL }

// LogFile is where Keycloak's console output goes.
func (s *Server) LogFile() string { return s.logFile }

// TokenError is the token endpoint's refusal, e.g. invalid_grant for a wrong
// password, so tests can assert on the OAuth error code.
type TokenError struct {
	Status      int
	Code        string
	Description string
}

func (e *TokenError) Error() string {
	return fmt.Sprintf("keycloaktest: token endpoint: HTTP %d %s: %s", e.Status, e.Code, e.Description)
}

// Password performs the resource-owner password grant for a realm user and
// returns the access token.
func (s *Server) Password(ctx context.Context, username, password string) (string, error) {
	form := url.Values{
		"grant_type":    {"password"},
		"client_id":     {ClientID},
		"client_secret": {ClientSecret},
		"username":      {username},
		"password":      {password},
		"scope":         {"openid"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		s.issuer+"/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("keycloaktest: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("keycloaktest: token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("keycloaktest: token response: %w", err)
	}
	var tr struct {
		AccessToken      string `json:"access_token"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", fmt.Errorf("keycloaktest: token response (HTTP %d): %w: %.200s", resp.StatusCode, err, body)
	}
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		return "", &TokenError{Status: resp.StatusCode, Code: tr.Error, Description: tr.ErrorDescription}
	}
	return tr.AccessToken, nil
}

// Close kills Keycloak's process group, waits for it to exit and, if Start
// created the directory, removes it. The data is throwaway, so there is no
// graceful shutdown to wait for.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.proc.Kill()
		if s.removeHome {
			s.closeErr = os.RemoveAll(s.home)
		}
	})
	return s.closeErr
}
