package catalogapi

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

func (h *Handler) CreateTrackUpload(ctx context.Context, req *connect.Request[catalogv1.CreateTrackUploadRequest]) (*connect.Response[catalogv1.CreateTrackUploadResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("track_id", req.Msg.GetTrackId()); err != nil {
		return nil, err
	}
	if req.Msg.GetSizeBytes() < 0 {
		return nil, domain.Invalid("size_bytes", "must not be negative (0 means unknown)")
	}
	up, err := h.media.CreateUpload(ctx, p, req.Msg.GetTrackId(), req.Msg.GetSizeBytes())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.CreateTrackUploadResponse{
		UploadId:   up.ID,
		UploadUrl:  up.URL,
		ExpireTime: timestamppb.New(up.Expire),
		MaxBytes:   up.MaxBytes,
	}), nil
}
