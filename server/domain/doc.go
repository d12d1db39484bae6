// Package domain holds Backbeat's entities, the rules over them (ownership,
// roles, visibility, cascades), the error kinds every layer speaks, and the
// store interfaces the domain needs. It imports no adapter: the stores, the
// API handlers and the auth layer depend on it, never the reverse.
package domain
