package cassandra

import (
	"context"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

type catalogStore struct{ *Store }

// listAll is one page of a catalog kind's "list all", oldest first.
func listAll[T any](ctx context.Context, s *Store, p domain.Page, of, kind string,
	get func(context.Context, string) (T, error), idOf func(T) string) ([]T, string, error) {
	c, _, err := pagetoken.Read(p, of)
	if err != nil {
		return nil, "", err
	}
	ids, err := s.listIDs(ctx, kind, c.ID, p.Size+1)
	if err != nil {
		return nil, "", err
	}
	items, err := fetchAll(ctx, ids, get)
	if err != nil {
		return nil, "", err
	}
	page, next := pagetoken.Page(items, p.Size, func(last T) pagetoken.Cursor { return pagetoken.Cursor{List: of, ID: idOf(last)} })
	return page, next, nil
}
