// Package api is the RPC edge of the server. Its subpackages turn Connect
// requests into domain calls and domain results into responses:
//
//   - apierr maps domain error kinds to Connect codes in one interceptor, so
//     handlers return domain errors and never pick transport codes;
//   - validate checks request shapes (lengths, ids, page sizes, masks) and
//     reports the offending field as a domain.Invalid error;
//   - userapi, catalogapi, playlistapi and playbackapi implement the
//     generated handler interfaces, one package per service.
//
// Every request is validated in full before the domain service is called, so
// a malformed request never reaches a store. Shape rules live here; rules
// about who may do what live in the domain.
package api
