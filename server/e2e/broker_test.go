package e2e

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/httpserver/httpservertest"
	"github.com/backbeat/backbeat/server/queue"
)

// The credentials the tests' listening brokers demand.
const (
	brokerUser     = "replica"
	brokerPassword = "e2e-broker-password"
)

// brokerFlags makes a server's embedded broker listen on addr for clients
// that present brokerUser and brokerPassword.
func brokerFlags(addr string) []string {
	return []string{"--nats-listen", addr, "--nats-user", brokerUser, "--nats-password", brokerPassword}
}

// TestBrokerRefusesUnauthenticatedClients connects a real NATS client to a
// server's --nats-listen port: without credentials or with a wrong password
// it is refused; with the right ones it can use JetStream.
func TestBrokerRefusesUnauthenticatedClients(t *testing.T) {
	natsAddr := freeAddr(t)
	startServer(t, t.TempDir(), brokerFlags(natsAddr)...)
	url := "nats://" + natsAddr
	refused := func(what string, opts ...nats.Option) {
		t.Helper()
		nc, err := nats.Connect(url, append(opts, nats.NoReconnect())...)
		if err == nil {
			nc.Close()
			t.Fatalf("%s: connected to the broker", what)
		}
		if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
			t.Fatalf("%s: %v, want an authorization violation", what, err)
		}
	}
	refused("no credentials")
	refused("wrong password", nats.UserInfo(brokerUser, "wrong"))
	refused("wrong user", nats.UserInfo("intruder", brokerPassword))

	nc, err := nats.Connect(url, nats.UserInfo(brokerUser, brokerPassword), nats.NoReconnect())
	apptest.MustOK(t, "connect with the credentials", err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	apptest.MustOK(t, "jetstream", err)
	for _, name := range []string{queue.JobsStream, queue.PlaysStream} {
		_, err := js.Stream(apptest.Context(t), name)
		apptest.MustOK(t, "stream "+name, err)
	}
}

// TestBrokerReplicaJoinsOverTLS: with --nats-tls-cert the first replica's
// broker speaks TLS only; a second replica trusting the CA (--nats-tls-ca)
// and presenting the credentials joins, one without the credentials cannot
// start, and a plaintext client is turned away.
func TestBrokerReplicaJoinsOverTLS(t *testing.T) {
	natsAddr := freeAddr(t)
	cert, key := httpservertest.SelfSigned(t, t.TempDir())
	startServer(t, t.TempDir(), append(brokerFlags(natsAddr), "--nats-tls-cert", cert, "--nats-tls-key", key)...)
	url := "tls://" + natsAddr
	startServer(t, t.TempDir(), "--nats-url", url, "--nats-tls-ca", cert, "--nats-user", brokerUser, "--nats-password", brokerPassword)

	if nc, err := nats.Connect("nats://"+natsAddr, nats.UserInfo(brokerUser, brokerPassword), nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("a plaintext client connected to the TLS broker")
	}

	// A replica without the credentials stops before serving.
	ctx, cancel := context.WithTimeout(apptest.Context(t), time.Minute)
	defer cancel()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--nats-url", url, "--nats-tls-ca", cert}, storeFlags(t, t.TempDir())...)
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	if err == nil || !strings.Contains(strings.ToLower(string(out)), "authorization violation") {
		t.Fatalf("a replica without credentials: err %v, want an authorization violation:\n%s", err, out)
	}
}
