package e2e

import "github.com/backbeat/backbeat/server/app/apptest"

// anon is a client without a token, over the Connect protocol.
func anon(s *server) apptest.API { return apptest.NewAPI(apptest.HTTP1Client(), s.URL(), "") }

// as is a client signed in with token, over the Connect protocol.
func as(s *server, token string) apptest.API {
	return apptest.NewAPI(apptest.HTTP1Client(), s.URL(), token)
}
