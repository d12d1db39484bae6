package e2e

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/backbeat/backbeat/server/app/apptest"
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
