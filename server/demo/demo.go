// Package demo seeds a small catalog and two users into an empty store, so
// a fresh server has something to search, play and list.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// The demo accounts. The password is public: demo data is for laptops.
const (
	ListenerUsername = "demo"
	ArtistUsername   = "demo-artist"
	Password         = "backbeat-demo"
)

// MixName names the demo listener's public playlist whose tracks get
// generated audio.
const MixName = "Demo Mix"

type album struct {
	title, date, genre string
	tracks             []string
}

type artist struct {
	name, bio string
	albums    []album
}

// catalog is invented; accents and odd letters are on purpose, so search
// folding has something to fold.
var catalog = []artist{
	{"Daft Pulse", "French-flavoured house duo.", []album{
		{"Random Access Dreams", "2013-05-17", "electronic", []string{"Give Life Back", "Lose Yourself to Rhythm", "Get Lucky Tonight", "Touch the Sky", "Contact"}},
		{"Discovery Channel", "2001-03-12", "electronic", []string{"One More Time Again", "Digital Love Song", "Harder Better Faster", "Aerodynamic Drift"}},
	}},
	{"Beyoncé Knowles-Ortiz", "Pop and soul.", []album{
		{"Lemonade Stand", "2016-04-23", "pop", []string{"Formation Flight", "Hold Up", "Sorry Not Sorry", "Freedom Road"}},
	}},
	{"Sigur Rós Kvartett", "Icelandic post-rock.", []album{
		{"Ágætis byrjun", "1999-06-12", "post-rock", []string{"Svefn-g-englar", "Starálfur", "Flugufrelsarinn", "Olsen Olsen"}},
	}},
	{"Łódź Brass Ensemble", "Brass from Poland.", []album{
		{"Żurawie", "2020-09-01", "jazz", []string{"Wiosna w Łodzi", "Piotrkowska Street", "Cœur de cuivre"}},
	}},
	{"Søren & The Strauß", "Danish-German folk.", []album{
		{"Nordlys", "2018-11-30", "folk", []string{"Strasse nach Norden", "Æblehaven", "Midnight Sun"}},
	}},
}

// Seed adds the demo data unless the demo listener already exists, so
// restarting with --demo is harmless.
func Seed(ctx context.Context, stores domain.Stores, users *domain.Users, cat *domain.Catalog, pls *domain.Playlists, log *slog.Logger) error {
	if _, err := stores.Users.GetUserByUsername(ctx, ListenerUsername); err == nil {
		log.Info("demo data already present")
		return nil
	} else if !domain.IsKind(err, domain.KindNotFound) {
		return fmt.Errorf("look for demo user: %w", err)
	}
	start := time.Now()
	listener, _, err := users.Register(ctx, domain.RegisterInput{Username: ListenerUsername, Email: "demo@example.com", Password: Password, DisplayName: "Demo Listener"})
	if err != nil {
		return fmt.Errorf("register demo listener: %w", err)
	}
	art, _, err := users.Register(ctx, domain.RegisterInput{Username: ArtistUsername, Email: "artist@example.com", Password: Password, DisplayName: "Demo Artist"})
	if err != nil {
		return fmt.Errorf("register demo artist: %w", err)
	}
	// Seeding is an operator action, so it grants the role directly rather
	// than through an admin account.
	art.Roles = []domain.Role{domain.RoleListener, domain.RoleArtist}
	if err := stores.Users.UpdateUser(ctx, art); err != nil {
		return fmt.Errorf("grant artist role: %w", err)
	}
	ap := domain.Principal{UserID: art.ID, Roles: art.Roles}
	lp := domain.Principal{UserID: listener.ID, Roles: listener.Roles}

	var all []string
	for _, a := range catalog {
		ar, err := cat.CreateArtist(ctx, ap, &domain.Artist{Name: a.name, Bio: a.bio})
		if err != nil {
			return fmt.Errorf("create artist %q: %w", a.name, err)
		}
		for _, al := range a.albums {
			alb, err := cat.CreateAlbum(ctx, ap, &domain.Album{Title: al.title, ArtistIDs: []string{ar.ID}, ReleaseDate: al.date, Genres: []string{al.genre}})
			if err != nil {
				return fmt.Errorf("create album %q: %w", al.title, err)
			}
			for i, title := range al.tracks {
				t, err := cat.CreateTrack(ctx, ap, &domain.Track{
					Title: title, ArtistIDs: []string{ar.ID}, AlbumID: alb.ID, DiscNumber: 1, TrackNumber: i + 1,
					Genres: []string{al.genre}, Duration: time.Duration(150+37*i) * time.Second, ReleaseDate: al.date,
				})
				if err != nil {
					return fmt.Errorf("create track %q: %w", title, err)
				}
				all = append(all, t.ID)
			}
		}
	}
	pl, err := pls.Create(ctx, lp, &domain.Playlist{Name: MixName, Description: "A little of everything.", Public: true})
	if err != nil {
		return fmt.Errorf("create demo playlist: %w", err)
	}
	mix := []string{all[0], all[5], all[9], all[13], all[17], all[len(all)-1]}
	if _, _, err := pls.AddTracks(ctx, lp, pl.ID, mix, -1); err != nil {
		return fmt.Errorf("fill demo playlist: %w", err)
	}
	log.Info("demo data seeded", "tracks", len(all), "took", time.Since(start))
	return nil
}

// PrintTryIt prints commands that work against the demo server.
func PrintTryIt(w io.Writer, addr string, tls bool) {
	flag := "-plaintext"
	if tls {
		flag = "-insecure"
	}
	fmt.Fprintf(w, `
Demo users: %[3]s / %[4]s (listener) and %[5]s / %[4]s (artist). Try:

  grpcurl %[1]s %[2]s list
  TOKEN=$(grpcurl %[1]s -d '{"login":"%[3]s","password":"%[4]s"}' %[2]s backbeat.user.v1.UserService/Login | sed -n 's/.*"accessToken": "\(.*\)".*/\1/p')
  grpcurl %[1]s -H "authorization: Bearer $TOKEN" -d '{"query":"give life"}' %[2]s backbeat.catalog.v1.CatalogService/Search
  grpcurl %[1]s -H "authorization: Bearer $TOKEN" -d '{"track_id":"<an id from the search>"}' %[2]s backbeat.playback.v1.PlaybackService/StartPlayback

The tracks of the public playlist "Demo Mix" have audio (generated at first start; the log says "demo audio ready").
The README walks a listener from sign-up to sound.

`, flag, addr, ListenerUsername, Password, ArtistUsername)
}
