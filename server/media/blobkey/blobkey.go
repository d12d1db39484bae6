// Package blobkey is the layout of media in blob storage: where an upload's
// original file goes and where the media set transcoded from it lives. The
// upload handler writes by it, the worker reads and deletes by it, so it
// lives apart from both.
package blobkey

// Upload is where an upload's original file is kept.
func Upload(trackID, uploadID string) string { return "uploads/" + trackID + "/" + uploadID }

// Newest records which stored upload of a track is the newest (and how it
// plays), for playing it before its ladder is ready. It lies among the
// track's uploads, so the track's cleanup removes it too.
func Newest(trackID string) string { return "uploads/" + trackID + "/newest.json" }

// MediaPrefix is the directory of one transcoded media set.
func MediaPrefix(trackID, mediaID string) string { return "media/" + trackID + "/" + mediaID + "/" }

// UploadPrefixes are the keys holding everything of one upload: its
// original file and the media set made from it (which shares its id).
func UploadPrefixes(trackID, uploadID string) []string {
	return []string{Upload(trackID, uploadID), MediaPrefix(trackID, uploadID)}
}

// TrackPrefixes are the directories holding everything of one track: its
// uploads and its media sets.
func TrackPrefixes(trackID string) []string {
	return []string{"uploads/" + trackID + "/", "media/" + trackID + "/"}
}
