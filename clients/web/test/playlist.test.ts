import { describe, expect, it } from "vitest";
import { Code, collect, pages, paginate } from "../src/index.js";
import { DEMO_ARTIST, rejection, signedIn, TRANSPORTS, uniqueName } from "./helpers.js";

describe.each(TRANSPORTS)("playlists over $name", (transport) => {
  it("creates a playlist, adds tracks and pages through its entries", async () => {
    const bb = await signedIn("demo", transport);
    const tracks = (await bb.catalog.listTracks({ pageSize: 7 })).tracks.map((t) => t.id);
    expect(tracks).toHaveLength(7);

    const { playlist } = await bb.playlists.createPlaylist({ playlist: { name: uniqueName("SDK mix "), description: "from the web SDK tests" } });
    expect(playlist?.id).toBeTruthy();
    const playlistId = playlist!.id;

    const added = await bb.playlists.addTracks({ playlistId, trackIds: tracks.slice(0, 5) });
    expect(added.entries.map((e) => e.trackId)).toEqual(tracks.slice(0, 5));
    // Insert at the front, then the same track again at the end: two entries.
    await bb.playlists.addTracks({ playlistId, trackIds: [tracks[5]!], position: 0 });
    await bb.playlists.addTracks({ playlistId, trackIds: [tracks[6]!, tracks[0]!] });
    const want = [tracks[5], ...tracks.slice(0, 5), tracks[6], tracks[0]];

    const seen: number[] = [];
    for await (const page of pages((r) => bb.playlists.getPlaylist(r), { playlistId, pageSize: 3 })) {
      expect(page.playlist?.trackCount).toBe(want.length);
      seen.push(page.entries.length);
    }
    expect(seen).toEqual([3, 3, 2]);

    const entries = await collect(paginate((r) => bb.playlists.getPlaylist(r), { playlistId, pageSize: 2 }, (res) => res.entries));
    expect(entries.map((e) => e.trackId)).toEqual(want);
    expect(new Set(entries.map((e) => e.entryId)).size).toBe(want.length);

    const mine = await collect(paginate((r) => bb.playlists.listPlaylists(r), { pageSize: 1 }, (res) => res.playlists));
    expect(mine.map((p) => p.id)).toContain(playlistId);
  });

  it("names the field of an invalid playlist", async () => {
    const bb = await signedIn("demo", transport);
    const err = await rejection(bb.playlists.createPlaylist({ playlist: { name: "" } }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.field).toBe("playlist.name");
    expect(err.fieldViolations[0]?.field).toBe("playlist.name");
  });

  it("names the field of a bad page size", async () => {
    const bb = await signedIn("demo", transport);
    const err = await rejection(bb.catalog.listTracks({ pageSize: -1 }));
    expect(err.codeName).toBe("invalid_argument");
    expect(err.field).toBe("page_size");
  });

  it("hides another user's private playlist as not_found", async () => {
    const artist = await signedIn(DEMO_ARTIST, transport);
    const { playlist } = await artist.playlists.createPlaylist({ playlist: { name: uniqueName("secret "), public: false } });
    // The owner sees it…
    expect((await artist.playlists.getPlaylist({ playlistId: playlist!.id })).playlist?.name).toBe(playlist!.name);
    // …another listener does not.
    const listener = await signedIn("demo", transport);
    const err = await rejection(listener.playlists.getPlaylist({ playlistId: playlist!.id }));
    expect(err.code).toBe(Code.NotFound);
    expect(err.codeName).toBe("not_found");
    const someTrack = (await listener.catalog.listTracks({ pageSize: 1 })).tracks[0]!.id;
    const adding = await rejection(listener.playlists.addTracks({ playlistId: playlist!.id, trackIds: [someTrack] }));
    expect(adding.code).toBe(Code.NotFound);
  });
});
