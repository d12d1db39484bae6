// Package validate checks request fields at the RPC edge. Every check returns
// nil or a domain.Invalid error whose field is the caller-given proto field
// path ("artist.name", "track_ids[3]"), so clients can point at the culprit.
//
// Lengths of text are counted in runes (what a person calls characters);
// lengths of opaque tokens and URLs are counted in bytes, since that is what
// they cost to store and forward.
package validate
