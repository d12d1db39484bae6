package blobkey

import (
	"strings"
	"testing"
)

// The cleanup worker deletes by prefix, so the prefixes of a track or an
// upload must cover all of its keys and none of another's. Ids have one
// length (domain.NewID), so only the track prefixes need a trailing slash
// against ids that merely start alike.
func TestPrefixesCoverOnlyTheirOwnKeys(t *testing.T) {
	const (
		track, otherTrack   = "01htrackaaaaaaaaaaaaaaaaaa", "01htrackaaaaaaaaaaaaaaaaab"
		upload, otherUpload = "01huploadaaaaaaaaaaaaaaaaa", "01huploadaaaaaaaaaaaaaaaab"
	)
	keys := func(tr, up string) []string {
		return []string{Upload(tr, up), MediaPrefix(tr, up) + "master.m3u8", MediaPrefix(tr, up) + "a/seg-1.m4s"}
	}
	under := func(key string, prefixes []string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(key, p) {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		name     string
		keys     []string
		prefixes []string
		want     bool
	}{
		{"own upload", keys(track, upload), UploadPrefixes(track, upload), true},
		{"own track", append(keys(track, upload), keys(track, otherUpload)...), TrackPrefixes(track), true},
		{"another upload", keys(track, otherUpload), UploadPrefixes(track, upload), false},
		{"another track's upload", keys(otherTrack, upload), UploadPrefixes(track, upload), false},
		{"another track", keys(otherTrack, upload), TrackPrefixes(track), false},
		{"a track whose id extends this one's", keys(track+"x", upload), TrackPrefixes(track), false},
	} {
		for _, k := range tc.keys {
			if got := under(k, tc.prefixes); got != tc.want {
				t.Errorf("%s: %s under %v = %v, want %v", tc.name, k, tc.prefixes, got, tc.want)
			}
		}
	}
}
