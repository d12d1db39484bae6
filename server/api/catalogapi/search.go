//lint:file-ignore SA1019 Search fills the deprecated results for the clients written before the groups.

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

// legacyTypes are what the deprecated results hold when a request names no
// type: what they held before playlists were searchable, so an old client
// never meets a result it cannot read.
var legacyTypes = []domain.ItemType{domain.ItemArtist, domain.ItemAlbum, domain.ItemTrack}

// Search trims the query before checking it, so "  " is refused as empty and
// the store never sees edge whitespace. It answers the groups and the
// deprecated mixed results: a request naming one type gets one search, the
// group, which is also the mixed list; a first page naming several gets the
// mixed list and a search per group; a later page naming several is an old
// client paging the mixed list, which gets that alone.
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
	out := &catalogv1.SearchResponse{}
	if len(types) != 1 {
		mixed := types
		if len(mixed) == 0 {
			mixed = legacyTypes
		}
		hits, next, err := h.svc.Search(ctx, query, mixed, pg)
		if err != nil {
			return nil, err
		}
		if out.Results, err = hitsToProto(hits); err != nil {
			return nil, err
		}
		out.NextPageToken = next
		if pg.Token != "" {
			return connect.NewResponse(out), nil
		}
	}
	res, err := h.svc.SearchGrouped(ctx, query, types, pg)
	if err != nil {
		return nil, err
	}
	if res.Top != nil {
		if out.TopResult, err = hitToProto(*res.Top); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	for _, g := range res.Groups {
		pb := &catalogv1.SearchGroup{Type: itemTypeToProto(g.Type), NextPageToken: g.Next}
		if pb.Results, err = hitsToProto(g.Hits); err != nil {
			return nil, err
		}
		out.Groups = append(out.Groups, pb)
	}
	if len(types) == 1 {
		out.Results, out.NextPageToken = out.Groups[0].Results, out.Groups[0].NextPageToken
	}
	return connect.NewResponse(out), nil
}

func hitsToProto(hits []domain.SearchHit) ([]*catalogv1.SearchResult, error) {
	results := make([]*catalogv1.SearchResult, len(hits))
	for i, hit := range hits {
		var err error
		if results[i], err = hitToProto(hit); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	return results, nil
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
