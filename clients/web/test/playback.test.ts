import { timestampDate } from "@bufbuild/protobuf/wkt";
import { beforeAll, describe, expect, it } from "vitest";
import { Code, StreamKind } from "../src/index.js";
import { rejection, serverUrl, signedIn, TRANSPORTS, waitForReady } from "./helpers.js";

describe("playback of a demo track", () => {
  let trackId = "";

  beforeAll(async () => {
    // The demo seeds audio for the tracks of its "Demo Mix" playlist.
    const bb = await signedIn("demo");
    const { playlists } = await bb.playlists.listPlaylists({});
    const mix = playlists.find((p) => p.name === "Demo Mix");
    if (!mix) throw new Error("demo playlist 'Demo Mix' not found");
    const { entries } = await bb.playlists.getPlaylist({ playlistId: mix.id, pageSize: 1 });
    trackId = entries[0]?.trackId ?? "";
    await waitForReady(bb, trackId);
  });

  it.for(TRANSPORTS)("starts with a signed HLS URL on the same server, over $name", async (transport) => {
    const bb = await signedIn("demo", transport);
    const res = await bb.playback.startPlayback({ trackId });
    expect(res.trackId).toBe(trackId);
    expect(res.durationMs).toBeGreaterThan(0n);
    expect(res.playbackId).toBeTruthy();
    // A READY track plays its ladder.
    expect(res.streamKind).toBe(StreamKind.LADDER);
    expect(res.ladderReady).toBe(true);
    expect(timestampDate(res.expireTime!).getTime()).toBeGreaterThan(Date.now());
    const hls = new URL(res.hlsUrl);
    expect(hls.origin).toBe(new URL(serverUrl()).origin);

    // The master playlist, fetched as a browser on another origin would.
    const origin = "http://127.0.0.1:1";
    const master = await fetch(res.hlsUrl, { headers: { Origin: origin } });
    expect(master.status).toBe(200);
    expect(master.headers.get("access-control-allow-origin")).toMatch(/^(\*|http:\/\/127\.0\.0\.1:1)$/);
    const text = await master.text();
    expect(text.startsWith("#EXTM3U")).toBe(true);
    expect(text).toMatch(/#EXT-X-STREAM-INF/);

    // Its first variant resolves against it, as a player would load it.
    const variant = text.split("\n").find((l) => l.trim() && !l.startsWith("#"));
    expect(variant).toBeTruthy();
    const media = await fetch(new URL(variant!.trim(), res.hlsUrl), { headers: { Origin: origin } });
    expect(media.status).toBe(200);
    expect(media.headers.get("access-control-allow-origin")).toBeTruthy();
    expect((await media.text()).startsWith("#EXTM3U")).toBe(true);
  });
});

describe("playback errors", () => {
  it.for(TRANSPORTS)("an unknown track is not_found, over $name", async (transport) => {
    const bb = await signedIn("demo", transport);
    const err = await rejection(bb.playback.startPlayback({ trackId: "0000000000000000000000000a" }));
    expect(err.code).toBe(Code.NotFound);
  });
});

describe("playing a context", () => {
  it("plays a playlist's track at an index with playPlaylist, which sets the oneof", async () => {
    const bb = await signedIn("demo");
    const { playlists } = await bb.playlists.listPlaylists({});
    const mix = playlists.find((p) => p.name === "Demo Mix");
    if (!mix) throw new Error("demo playlist 'Demo Mix' not found");
    const { entries } = await bb.playlists.getPlaylist({ playlistId: mix.id, pageSize: 2 });
    const second = entries[1]?.trackId ?? "";
    await waitForReady(bb, second);
    const res = await bb.playPlaylist(mix.id, { index: 1, deviceId: "vitest" });
    expect(res.trackId).toBe(second);
    expect(res.hlsUrl).toBeTruthy();
  });

  it("refuses a context of the wrong shape before sending it, naming the field", async () => {
    const bb = await signedIn("demo");
    // What the generated code would silently drop (then the server: "track_id is required").
    const wrong = { context: { playlistId: "06h52nve1hfwjjkkn81rq1stdw" } } as unknown as Parameters<
      typeof bb.playback.startPlayback
    >[0];
    const err = await rejection(bb.playback.startPlayback(wrong));
    expect(err.codeName).toBe("invalid_argument");
    expect(err.field).toBe("context");
    expect(err.rawMessage).toMatch(/unknown field "playlistId".*playlistContext/);
    const badCase = { context: { context: { case: "trackId", value: "x" } } } as unknown as Parameters<
      typeof bb.playback.startPlayback
    >[0];
    expect((await rejection(bb.playback.startPlayback(badCase))).field).toBe("context");
  });
});
