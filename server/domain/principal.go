package domain

import "slices"

// Principal is the authenticated caller of a request, as the auth layer
// established it. Services take it explicitly rather than from a context so
// every rule's inputs are visible at the call.
type Principal struct {
	UserID string
	Roles  []Role
}

// Has reports whether the caller holds role r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// IsAdmin reports whether the caller may do everything.
func (p Principal) IsAdmin() bool { return p.Has(RoleAdmin) }
