package search

import (
	"slices"
	"testing"
)

func TestFold(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Łódź", "lodz"},
		{"Cœur", "coeur"},
		{"Søren", "soren"},
		{"Straße", "strasse"},
		{"Beyoncé", "beyonce"},
		{"BEYONCÉ", "beyonce"},
		{"Æther", "aether"},
		{"Þórr", "thorr"},
		{"Đorđe", "dorde"},
		{"Ħamrun", "hamrun"},
		{"ŧ Ŧ", "t t"},
		{"Işık", "isik"},
		{"İstanbul", "istanbul"},
		{"Sigur Rós", "sigur ros"},
		{"Mötley Crüe", "motley crue"},
		{"AC/DC", "ac dc"},
		{"don't", "dont"},
		{"Don’t Stop", "dont stop"},
		{"rock 'n' roll", "rock n roll"},
		{"'quoted'", "quoted"},
		{"  spaced   out  ", "spaced out"},
		{"Hello, World!", "hello world"},
		{"P!nk", "p nk"},
		{"Ke$ha", "ke ha"},
		{"ﬁre", "fire"},
		{"ＡＢＣ", "abc"},
		{"E=mc²", "e mc2"},
		{"ΣΟΦΟΣ σοφος", "σοφοσ σοφοσ"},
		{"", ""},
		{"!!!", ""},
		{"東京 Tokyo", "東京 tokyo"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"AC/DC", []string{"ac", "dc"}},
		{"Łódź", []string{"lodz"}},
		{"the Sound of the City", []string{"the", "sound", "of", "city"}},
		{"Beyoncé beyonce BEYONCE", []string{"beyonce"}},
		{"  ", nil},
		{"don't stop-me now", []string{"dont", "stop", "me", "now"}},
	}
	for _, tt := range tests {
		if got := Tokens(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkFold(b *testing.B) {
	for _, in := range []string{"Around the World", "Łódź Nights (Søren's Remix)"} {
		b.Run(in, func(b *testing.B) {
			for b.Loop() {
				Fold(in)
			}
		})
	}
}
