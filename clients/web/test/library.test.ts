import { describe, expect, it } from "vitest";
import { Code, collect, paginate } from "../src/index.js";
import { client, rejection, TRANSPORTS, uniqueName } from "./helpers.js";

describe("the library", () => {
  it.for(TRANSPORTS)("saves, hearts, lists newest first across pages and unsaves, over $name", async (transport) => {
    const bb = client(transport);
    const username = uniqueName("lib");
    await bb.register({ username, email: `${username}@example.com`, password: "correct horse battery" });
    const { tracks } = await bb.catalog.listTracks({ pageSize: 4 });
    const ids = tracks.map((t) => t.id);
    expect(ids.length).toBe(4);

    // One at a time, so each save is newer than the one before.
    for (const id of ids.slice(0, 3)) {
      await bb.library.saveTracks({ trackIds: [id] });
      await new Promise((r) => setTimeout(r, 5));
    }
    expect((await bb.library.areTracksSaved({ trackIds: ids })).saved).toEqual([true, true, true, false]);
    const listed = await collect(paginate((r) => bb.library.listSavedTracks(r), { pageSize: 2 }, (res) => res.items));
    expect(listed.map((it) => it.track?.id)).toEqual([ids[2], ids[1], ids[0]]);

    await bb.library.removeSavedTracks({ trackIds: [ids[1]!] });
    expect((await bb.library.areTracksSaved({ trackIds: ids.slice(0, 3) })).saved).toEqual([true, false, true]);

    // Liked Songs plays as a context; a track not in it is not_found.
    const err = await rejection(
      bb.playback.startPlayback({ trackId: ids[1]!, context: { context: { case: "likedSongs", value: true } } }),
    );
    expect(err.code).toBe(Code.NotFound);

    const { albums } = await bb.catalog.listAlbums({ pageSize: 1 });
    const albumId = albums[0]!.id;
    await bb.library.saveAlbums({ albumIds: [albumId] });
    expect((await bb.library.listSavedAlbums({})).items.map((it) => it.album?.id)).toEqual([albumId]);
    expect((await bb.library.areAlbumsSaved({ albumIds: [albumId] })).saved).toEqual([true]);
    await bb.library.removeSavedAlbums({ albumIds: [albumId] });
    expect((await bb.library.areAlbumsSaved({ albumIds: [albumId] })).saved).toEqual([false]);
  });

  it("refuses 51 ids as invalid_argument naming the field", async () => {
    const bb = client();
    const username = uniqueName("lib");
    await bb.register({ username, email: `${username}@example.com`, password: "correct horse battery" });
    const many = Array.from({ length: 51 }, (_, i) => `0000000000000000000000${(1000 + i).toString()}`);
    const err = await rejection(bb.library.areTracksSaved({ trackIds: many }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.fieldViolations.map((v) => v.field)).toContain("track_ids");
  });
});
