import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import { BackbeatError } from "./errors.js";
import type { PlaybackContextSchema, StartPlaybackRequestSchema } from "./gen/backbeat/playback/v1/playback_pb.js";
import type { PlaybackService, StartPlaybackResponse } from "./gen/backbeat/playback/v1/playback_pb.js";

/** A PlaybackContext to start a track in: a playlist or an album (the proto's oneof). */
export type PlaybackContextInit = MessageInitShape<typeof PlaybackContextSchema>;

/** The context of a playlist: StartPlayback checks the caller may play it and plays its tracks. */
export function playlistContext(playlistId: string): PlaybackContextInit {
  return { context: { case: "playlistId", value: playlistId } };
}

/** The context of an album. */
export function albumContext(albumId: string): PlaybackContextInit {
  return { context: { case: "albumId", value: albumId } };
}

/** Where to start in a context, and on which device. */
export interface PlayOptions {
  /** The position in the context (0, the first track, by default). */
  index?: number | undefined;
  /** The track to play instead of the one at index; it must be in the context. */
  trackId?: string | undefined;
  /** Where to start in the track, in milliseconds. */
  positionMs?: bigint | number | undefined;
  deviceId?: string | undefined;
}

/** The request of playing a track in a context: what playPlaylist and playAlbum send. */
export function startInContext(
  context: PlaybackContextInit,
  opts: PlayOptions = {},
): MessageInitShape<typeof StartPlaybackRequestSchema> {
  return {
    context,
    contextIndex: opts.index ?? 0,
    trackId: opts.trackId ?? "",
    positionMs: BigInt(opts.positionMs ?? 0),
    deviceId: opts.deviceId ?? "",
  };
}

const contextCases = new Set(["playlistId", "albumId", "likedSongs"]);

/**
 * Refuses a StartPlayback request whose context is not the oneof's shape.
 * The generated code drops keys it does not know, so `{ context: { playlistId } }`
 * would reach the server as no context at all and come back as a misleading
 * "track_id is required"; this names the mistake instead, as the
 * invalid_argument error the server gives for a bad field.
 */
export function checkStartPlayback(request: unknown): void {
  const context = (request as { context?: unknown } | undefined)?.context;
  if (context === undefined || context === null) return;
  const bad = (why: string) =>
    new BackbeatError(
      new ConnectError(
        `context: ${why}; build it with playlistContext(id) or albumContext(id), ` +
          `i.e. { context: { case: "playlistId" | "albumId", value: id } }, ` +
          `or { context: { case: "likedSongs", value: true } } for the caller's saved tracks`,
        Code.InvalidArgument,
      ),
    );
  if (typeof context !== "object") throw bad(`expected an object, got ${typeof context}`);
  const unknown = Object.keys(context).filter((k) => k !== "context" && k !== "$typeName");
  if (unknown.length > 0) throw bad(`unknown field ${unknown.map((k) => JSON.stringify(k)).join(", ")}`);
  const oneof = (context as { context?: unknown }).context;
  if (oneof === undefined) return;
  const c = oneof as { case?: unknown; value?: unknown };
  if (typeof oneof !== "object" || oneof === null || (c.case !== undefined && !contextCases.has(String(c.case)))) {
    throw bad(`the oneof case must be "playlistId", "albumId" or "likedSongs"`);
  }
  if (c.case === "likedSongs") {
    if (c.value !== true) throw bad(`the likedSongs value must be true`);
    return;
  }
  if (c.case !== undefined && typeof c.value !== "string") throw bad(`the ${String(c.case)} value must be a string`);
}

/** The playback client with StartPlayback's context checked before it is sent. */
export function checkedPlayback(client: Client<typeof PlaybackService>): Client<typeof PlaybackService> {
  const start = client.startPlayback.bind(client);
  return {
    ...client,
    startPlayback(request, options): Promise<StartPlaybackResponse> {
      try {
        checkStartPlayback(request);
      } catch (e) {
        return Promise.reject(e);
      }
      return start(request, options);
    },
  };
}
