package queue

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/backbeat/backbeat/server/httpserver/httpservertest"
)

// wantRefused checks that connecting with opts is refused as unauthorized.
func wantRefused(t *testing.T, what, url string, opts ...nats.Option) {
	t.Helper()
	nc, err := nats.Connect(url, append(opts, nats.NoReconnect())...)
	if err == nil {
		nc.Close()
		t.Fatalf("%s: connected", what)
	}
	if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
		t.Fatalf("%s: %v, want an authorization violation", what, err)
	}
}

// wantJetStream checks that a client connecting with opts can use JetStream.
func wantJetStream(t *testing.T, what, url string, opts ...nats.Option) {
	t.Helper()
	nc, err := nats.Connect(url, append(opts, nats.NoReconnect())...)
	if err != nil {
		t.Fatalf("%s: connect: %v", what, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if _, err := js.Stream(testCtx(t), JobsStream); err != nil {
		t.Fatalf("%s: stream %s: %v", what, JobsStream, err)
	}
}

// The listening embedded broker refuses clients without the right
// credentials, as seen by a real NATS client.
func TestListeningBrokerRefusesUnauthenticatedClients(t *testing.T) {
	t.Parallel()
	b := openEmbedded(t, testLogger(t), t.TempDir(), "127.0.0.1:0")
	url := b.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("ClientURL = %q, want a loopback nats:// URL", url)
	}
	wantRefused(t, "no credentials", url)
	wantRefused(t, "wrong password", url, nats.UserInfo(testUser, "wrong"))
	wantRefused(t, "wrong user", url, nats.UserInfo("intruder", testPassword))
	wantJetStream(t, "right credentials", url, nats.UserInfo(testUser, testPassword))
	u := strings.Replace(url, "nats://", "nats://"+testUser+":"+testPassword+"@", 1)
	wantJetStream(t, "credentials in the URL", u)
	// Another replica joins with the credentials in the URL.
	other, err := Open(testCtx(t), Config{URL: u, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open with credentials in the URL: %v", err)
	}
	other.Close()
}

// With a certificate the listening port speaks TLS only; a replica that
// trusts the CA joins, a plaintext client is turned away.
func TestListeningBrokerTLS(t *testing.T) {
	t.Parallel()
	cert, key := httpservertest.SelfSigned(t, t.TempDir())
	log := testLogger(t)
	host, err := Open(testCtx(t), Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", User: testUser, Password: testPassword, TLSCert: cert, TLSKey: key, Logger: log})
	if err != nil {
		t.Fatalf("Open with TLS: %v", err)
	}
	t.Cleanup(func() { _ = host.Close() })
	url := host.ClientURL()
	if !strings.HasPrefix(url, "tls://") {
		t.Fatalf("ClientURL = %q, want tls://", url)
	}
	// The host's own in-process connection works: it published its streams.
	plain := strings.Replace(url, "tls://", "nats://", 1)
	if nc, err := nats.Connect(plain, nats.UserInfo(testUser, testPassword), nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("a plaintext client connected to the TLS port")
	}
	wantRefused(t, "TLS, no credentials", url, nats.RootCAs(cert))
	wantJetStream(t, "TLS, right credentials", url, nats.RootCAs(cert), nats.UserInfo(testUser, testPassword))
	other, err := Open(testCtx(t), Config{URL: url, User: testUser, Password: testPassword, TLSCA: cert, Logger: log})
	if err != nil {
		t.Fatalf("a replica trusting the CA: %v", err)
	}
	other.Close()
	if b, err := Open(testCtx(t), Config{URL: url, User: testUser, Password: testPassword, Logger: log}); err == nil {
		b.Close()
		t.Fatal("a replica that does not trust the certificate connected")
	}
}
