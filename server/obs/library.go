package obs

import (
	"context"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

type library struct {
	next domain.LibraryStore
	o    *observer
}

func (w library) SaveItems(ctx context.Context, userID string, kind domain.LibraryKind, ids []string, at time.Time) error {
	return call0(ctx, w.o, "library.SaveItems", func(ctx context.Context) error { return w.next.SaveItems(ctx, userID, kind, ids, at) })
}

func (w library) RemoveItems(ctx context.Context, userID string, kind domain.LibraryKind, ids []string) error {
	return call0(ctx, w.o, "library.RemoveItems", func(ctx context.Context) error { return w.next.RemoveItems(ctx, userID, kind, ids) })
}

func (w library) AreSaved(ctx context.Context, userID string, kind domain.LibraryKind, ids []string) ([]bool, error) {
	return call1(ctx, w.o, "library.AreSaved", func(ctx context.Context) ([]bool, error) { return w.next.AreSaved(ctx, userID, kind, ids) })
}

func (w library) ListSaved(ctx context.Context, userID string, kind domain.LibraryKind, p domain.Page) ([]domain.SavedItem, string, error) {
	return call2(ctx, w.o, "library.ListSaved", func(ctx context.Context) ([]domain.SavedItem, string, error) {
		return w.next.ListSaved(ctx, userID, kind, p)
	})
}
