// Package catalogapi serves backbeat.catalog.v1.CatalogService over
// *domain.Catalog.
package catalogapi

import (
	"context"

	"github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1/catalogv1connect"
	"github.com/backbeat/backbeat/server/api/internal/edge"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

// Page sizes. Search pages are small because results are ranked and a client
// rarely reads far down; lists page at the usual sizes.
const (
	listDefaultPageSize   = validate.DefaultPageSize
	listMaxPageSize       = validate.MaxPageSize
	searchDefaultPageSize = 20
	searchMaxPageSize     = 50
)

// Handler implements catalogv1connect.CatalogServiceHandler. Every method,
// reads included, needs a signed-in caller, as the service's contract says.
type Handler struct {
	svc       *domain.Catalog
	media     *domain.Media
	principal edge.PrincipalFunc
}

var _ catalogv1connect.CatalogServiceHandler = (*Handler)(nil)

// New returns a handler over svc, with uploads granted by media. principal
// reports the authenticated caller (the auth layer's PrincipalFrom).
func New(svc *domain.Catalog, media *domain.Media, principal func(context.Context) (domain.Principal, bool)) *Handler {
	return &Handler{svc: svc, media: media, principal: principal}
}

func (h *Handler) caller(ctx context.Context) (domain.Principal, error) {
	return edge.Caller(ctx, h.principal)
}
