import { describe, expect, it } from "vitest";
import { collect, describeResult, ItemType, pages, paginate, searchGroup, searchGroupResults } from "../src/index.js";
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

  it("search answers the exact artist as the top result and a group per type", async () => {
    const bb = await signedIn("demo", transport);
    const res = await bb.catalog.search({ query: "daft pulse" });
    expect(describeResult(res.topResult!)).toMatchObject({ type: "artist", name: "Daft Pulse" });
    expect(res.groups.map((g) => g.type)).toEqual([ItemType.ARTIST, ItemType.ALBUM, ItemType.TRACK, ItemType.PLAYLIST]);
    expect(searchGroup(res, ItemType.TRACK)?.results.length).toBeGreaterThan(5);
    // A typo still finds the artist; a public playlist is found by name.
    const typo = await bb.catalog.search({ query: "beyonse" });
    expect(describeResult(typo.topResult!)?.name).toBe("Beyoncé Knowles-Ortiz");
    const mix = await bb.catalog.search({ query: "demo mix", types: [ItemType.PLAYLIST] });
    expect(searchGroup(mix, ItemType.PLAYLIST)?.results.map((r) => describeResult(r)?.name)).toEqual(["Demo Mix"]);
  });

  it("pages one search group by its own token", async () => {
    const bb = await signedIn("demo", transport);
    const first = await bb.catalog.search({ query: "daft pulse", types: [ItemType.TRACK], pageSize: 50 });
    const all = searchGroup(first, ItemType.TRACK)!.results.map((r) => describeResult(r)!.id);
    const paged = await collect(searchGroupResults(bb.catalog, "daft pulse", ItemType.TRACK, 2));
    expect(paged.map((r) => describeResult(r)!.id)).toEqual(all);
    expect(all.length).toBeGreaterThan(2);
  });

  it("search can be limited to tracks", async () => {
    const bb = await signedIn("demo", transport);
    const res = await bb.catalog.search({ query: "piotrkowska", types: [ItemType.TRACK] });
    expect(res.results.map((r) => r.item.case)).toEqual(["track"]);
    expect(res.results[0]?.item.value?.id).toBeTruthy();
  });

  it("pages through every track, a few at a time", async () => {
    const bb = await signedIn("demo", transport);
    // Other suites upload tracks to the same server, so the whole catalog
    // (one large page) is the reference, at least the demo's tracks.
    const whole = (await bb.catalog.listTracks({ pageSize: 100 })).tracks.map((t: Track) => t.id);
    expect(whole.length).toBeGreaterThanOrEqual(DEMO_TRACKS);
    const all = await collect(paginate((r) => bb.catalog.listTracks(r), { pageSize: 5 }, (res) => res.tracks));
    expect(all.map((t: Track) => t.id)).toEqual(whole);
    const pageSizes: number[] = [];
    for await (const page of pages((r) => bb.catalog.listTracks(r), { pageSize: 5 })) pageSizes.push(page.tracks.length);
    const full = Math.floor(whole.length / 5), rest = whole.length % 5;
    expect(pageSizes).toEqual([...Array(full).fill(5), ...(rest ? [rest] : [])]);
  });

  it("stops after maxPages", async () => {
    const bb = await signedIn("demo", transport);
    const some = await collect(paginate((r) => bb.catalog.listTracks(r), { pageSize: 4 }, (res) => res.tracks, { maxPages: 2 }));
    expect(some).toHaveLength(8);
  });
});
