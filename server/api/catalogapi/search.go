package catalogapi

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

const maxQuery = 200

// Search trims the query before checking it, so "  " is refused as empty and
// the store never sees edge whitespace.
func (h *Handler) Search(ctx context.Context, req *connect.Request[catalogv1.SearchRequest]) (*connect.Response[catalogv1.SearchResponse], error) {
	if _, err := h.caller(ctx); err != nil {
		return nil, err
	}
	m := req.Msg
	query := strings.TrimSpace(m.GetQuery())
	if err := validate.Text("query", query, 1, maxQuery); err != nil {
		return nil, err
	}
	types, err := itemTypesFromProto("types", m.GetTypes())
	if err != nil {
		return nil, err
	}
	pg, err := validate.Page(m.GetPageSize(), m.GetPageToken(), searchDefaultPageSize, searchMaxPageSize)
	if err != nil {
		return nil, err
	}
	hits, next, err := h.svc.Search(ctx, query, types, pg)
	if err != nil {
		return nil, err
	}
	results := make([]*catalogv1.SearchResult, len(hits))
	for i, hit := range hits {
		if results[i], err = hitToProto(hit); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	return connect.NewResponse(&catalogv1.SearchResponse{Results: results, NextPageToken: next}), nil
}

func itemTypesFromProto(field string, in []catalogv1.ItemType) ([]domain.ItemType, error) {
	out := make([]domain.ItemType, 0, len(in))
	for i, t := range in {
		dt, ok := itemTypeFromProto(t)
		if !ok {
			return nil, domain.Invalid(validate.Item(field, i), "unknown item type %v", t)
		}
		if slices.Contains(out, dt) {
			return nil, domain.Invalid(validate.Item(field, i), "repeats item type %v", t)
		}
		out = append(out, dt)
	}
	return out, nil
}
