import { describe, expect, it } from "vitest";
import { collect, ItemType, pages, paginate } from "../src/index.js";
import type { Track } from "../src/index.js";
import { signedIn, TRANSPORTS } from "./helpers.js";

// The demo catalog: 5 artists, 6 albums, 23 tracks.
const DEMO_TRACKS = 23;

describe.each(TRANSPORTS)("catalog over $name", (transport) => {
  it("search 'lodz' finds Łódź Brass Ensemble, folding accents", async () => {
    const bb = await signedIn("demo", transport);
    const res = await bb.catalog.search({ query: "lodz" });
    const artists = res.results.flatMap((r) => (r.item.case === "artist" ? [r.item.value.name] : []));
    expect(artists).toContain("Łódź Brass Ensemble");
    // Results come ranked.
    const scores = res.results.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it("search can be limited to tracks", async () => {
    const bb = await signedIn("demo", transport);
    const res = await bb.catalog.search({ query: "piotrkowska", types: [ItemType.TRACK] });
    expect(res.results.map((r) => r.item.case)).toEqual(["track"]);
    expect(res.results[0]?.item.value?.id).toBeTruthy();
  });

  it("pages through every track, a few at a time", async () => {
    const bb = await signedIn("demo", transport);
    const all = await collect(paginate((r) => bb.catalog.listTracks(r), { pageSize: 5 }, (res) => res.tracks));
    expect(all).toHaveLength(DEMO_TRACKS);
    expect(new Set(all.map((t: Track) => t.id)).size).toBe(DEMO_TRACKS);
    const pageSizes: number[] = [];
    for await (const page of pages((r) => bb.catalog.listTracks(r), { pageSize: 5 })) pageSizes.push(page.tracks.length);
    expect(pageSizes).toEqual([5, 5, 5, 5, 3]);
  });

  it("stops after maxPages", async () => {
    const bb = await signedIn("demo", transport);
    const some = await collect(paginate((r) => bb.catalog.listTracks(r), { pageSize: 4 }, (res) => res.tracks, { maxPages: 2 }));
    expect(some).toHaveLength(8);
  });
});
