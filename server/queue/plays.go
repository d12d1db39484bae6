package queue

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/backbeat/backbeat/server/domain"
)

// PlaySubject is the subject of userID's play events. An id made only of
// ASCII letters, digits, '-' and '_' (every id domain.NewID makes) is used as
// is; any other is written "~" + its unpadded base64url encoding, so no id can
// break the subject's syntax or collide with another.
func PlaySubject(userID string) string {
	return PlaySubjectPrefix + subjectToken(userID)
}

func subjectToken(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	if plain {
		return s
	}
	return "~" + base64.RawURLEncoding.EncodeToString([]byte(s))
}

// playEventMsgID identifies an event for deduplication: a client retrying a
// batch republishes the same events, which JetStream then drops.
func playEventMsgID(userID string, e *domain.PlayEvent) string {
	return userID + ":" + e.PlaybackID + ":" + string(e.Type) + ":" +
		strconv.FormatInt(int64(e.Position), 10) + ":" + strconv.FormatInt(e.OccurTime.UnixNano(), 10)
}

// publishChunk bounds the async publishes in flight for one call.
const publishChunk = 256

// PublishPlayEvents appends events, in order, to userID's subject of the play
// event stream and waits until JetStream has stored them all. Each event's
// UserID is set to userID. Events already stored within PlaysDedupeWindow
// (same user, playback, type, position and time) are not stored twice, so a
// client may retry a batch that failed. On error some events may be stored;
// retrying the batch is safe.
func (b *Broker) PublishPlayEvents(ctx context.Context, userID string, events []domain.PlayEvent) error {
	if userID == "" {
		return errors.New("queue: play events without user id")
	}
	if len(events) == 0 {
		return nil
	}
	if b.isClosing() {
		return ErrClosed
	}
	subject := PlaySubject(userID)
	for start := 0; start < len(events); start += publishChunk {
		chunk := events[start:min(start+publishChunk, len(events))]
		// Published asynchronously on one connection, the events reach the
		// stream in this order; their acks are awaited below.
		futures := make([]jetstream.PubAckFuture, 0, len(chunk))
		for i := range chunk {
			e := chunk[i]
			e.UserID = userID
			data, err := json.Marshal(&e)
			if err != nil {
				return fmt.Errorf("queue: encode play event: %w", err)
			}
			msg := nats.NewMsg(subject)
			msg.Data = data
			f, err := b.js.PublishMsgAsync(msg,
				jetstream.WithMsgID(playEventMsgID(userID, &e)), jetstream.WithExpectStream(PlaysStream))
			if err != nil {
				return unavailable("queue: publish play event", err)
			}
			futures = append(futures, f)
		}
		for _, f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return unavailable("queue: publish play event", err)
			case <-ctx.Done():
				return unavailable("queue: publish play event", ctx.Err())
			}
		}
	}
	return nil
}
