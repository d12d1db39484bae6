// The demo player end to end: vite builds it, vite preview serves it, and
// Debian's Chromium, driven by playwright-core, signs in, searches, plays a
// track over HLS and adds tracks to a playlist, which the SDK then checks on
// the server, and shows grouped search results with a top result. A
// screenshot lands in artifacts/player.png whatever happens, and one of the
// grouped results in artifacts/search.png.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";
import { build, preview } from "vite";
import type { PreviewServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, paginate } from "../src/index.js";
import { DEMO_LISTENER, DEMO_PASSWORD, serverUrl, signedIn, uniqueName, waitForReady } from "../test/helpers.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CONFIG = join(ROOT, "demo", "vite.config.ts");
const ARTIFACTS = join(ROOT, "artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

describe.sequential("demo player in headless Chromium", () => {
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const log: string[] = [];
  const playlistName = uniqueName("E2E picks ");
  let played: { id: string; title: string } | undefined;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await build({ configFile: CONFIG, logLevel: "warn" });
    server = await preview({ configFile: CONFIG, logLevel: "warn", preview: { port: 0, strictPort: false } });
    const appUrl = server.resolvedUrls?.local[0];
    if (!appUrl) throw new Error("vite preview reported no URL");

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--autoplay-policy=no-user-gesture-required",
        // This machine reaches no outside hosts: keep Chromium from trying.
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage({ viewport: { width: 900, height: 1100 } });
    page.on("console", (m) => log.push(`console.${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
    page.on("requestfailed", (r) => log.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
    await page.goto(`${appUrl}?server=${encodeURIComponent(serverUrl())}`);
  });

  afterAll(async () => {
    if (page) await page.screenshot({ path: join(ARTIFACTS, "player.png"), fullPage: true }).catch(() => {});
    await browser?.close();
    await server?.close();
  });

  /** What the page said, for failure messages. */
  const diagnostics = async () =>
    `player: ${await page.locator("#player-status").textContent()}\n` +
    `playlist: ${await page.locator("#playlist-status").textContent()}\n${log.join("\n")}`;

  it("signs in as the demo listener", async () => {
    await expect.poll(() => page.locator("#server-url").textContent()).toBe(serverUrl());
    await page.fill("#username", DEMO_LISTENER);
    await page.fill("#password", DEMO_PASSWORD);
    await page.click("#signin-button");
    await page.locator("#whoami").filter({ hasText: "(demo)" }).waitFor({ timeout: 10_000 });
    expect(await page.locator("#signin").isHidden()).toBe(true);
  });

  it("searches and lists matching tracks", async () => {
    await page.fill("#query", "lodz");
    await page.click("#search-button");
    const row = page.locator("#results li", { hasText: "Wiosna w Łodzi" });
    await row.waitFor({ timeout: 10_000 });
    // The subtitle names the artist, resolved through the catalog.
    expect(await row.locator("small").textContent()).toContain("Łódź Brass Ensemble");
    expect(await page.locator("#search-status").textContent()).toMatch(/tracks? for “lodz”/);
  });

  it("plays a track over HLS", { timeout: 120_000 }, async () => {
    // One of the demo tracks with audio (the "Demo Mix" playlist's).
    const row = page.locator("#results li", { hasText: "Wiosna w Łodzi" });
    played = { id: (await row.getAttribute("data-track-id"))!, title: "Wiosna w Łodzi" };
    // The server transcodes the demo audio in the background.
    await waitForReady(await signedIn(DEMO_LISTENER), played.id);
    await row.locator(".play-button").click();
    // Until the audio passes 1.2 s, or the player reports a failure.
    const outcome = await page
      .waitForFunction(
        () => {
          if ((document.querySelector("audio")?.currentTime ?? 0) > 1.2) return "playing";
          const status = document.getElementById("player-status")?.textContent ?? "";
          return /^(Cannot play|Playback error)/.test(status) ? status : false;
        },
        null,
        { timeout: 20_000 },
      )
      .then((h) => h.jsonValue() as Promise<string>, () => "timed out");
    if (outcome !== "playing") expect.fail(`the audio element did not play past 1.2 s (${outcome})\n${await diagnostics()}`);
    const audio = await page.locator("#audio").evaluate((a: HTMLAudioElement) => ({
      paused: a.paused, time: a.currentTime, track: a.dataset.trackId, engine: a.dataset.engine, error: a.error?.message,
    }));
    expect(audio).toMatchObject({ paused: false, track: played.id, error: undefined });
    expect(audio.engine).toMatch(/hls\.js|native HLS/);
    expect(await page.locator("#now-playing").textContent()).toBe(played.title);
  });

  it("adds tracks to a new playlist, then to the picked one", async () => {
    const rows = page.locator("#results li");
    const firstRow = rows.filter({ hasText: "Wiosna w Łodzi" });
    const secondRow = rows.filter({ hasNotText: "Wiosna w Łodzi" }).first();
    const first = (await firstRow.getAttribute("data-track-id"))!;
    const second = (await secondRow.getAttribute("data-track-id"))!;

    expect(await page.locator("#playlist-select").inputValue()).toBe("__new__");
    await page.fill("#new-playlist-name", playlistName);
    await firstRow.locator(".add-button").click();
    await page.locator("#playlist-status", { hasText: "Added" }).waitFor({ timeout: 10_000 }).catch(async () => {
      expect.fail(`adding to a new playlist failed\n${await diagnostics()}`);
    });
    expect(await page.locator("#playlist-status").textContent()).toContain(`to “${playlistName}” (1 track)`);
    // The new playlist is now picked; the second track goes into it too.
    expect(await page.locator("#playlist-select option:checked").textContent()).toBe(`${playlistName} (1)`);
    await secondRow.locator(".add-button").click();
    await page.locator("#playlist-status", { hasText: "(2 tracks)" }).waitFor({ timeout: 10_000 });

    // The server agrees.
    const bb = await signedIn(DEMO_LISTENER);
    const mine = await collect(paginate((r) => bb.playlists.listPlaylists(r), { pageSize: 50 }, (r) => r.playlists));
    const playlist = mine.find((p) => p.name === playlistName);
    expect(playlist, `playlist ${playlistName} on the server`).toBeDefined();
    const { entries } = await bb.playlists.getPlaylist({ playlistId: playlist!.id });
    expect(entries.map((e) => e.trackId)).toEqual([first, second]);
    if (played) expect(entries[0]?.trackId).toBe(played.id);
  });

  it("shows the top result and the results grouped by type", async () => {
    await page.fill("#query", "daft pulse");
    await page.click("#search-button");
    const top = page.locator("#top-result");
    await top.locator(".name", { hasText: "Daft Pulse" }).waitFor({ timeout: 10_000 });
    expect(await top.getAttribute("data-type")).toBe("artist");
    expect(await page.locator("#results li").count()).toBeGreaterThan(5);
    expect(await page.locator('#groups section[data-type="album"] li').allTextContents()).toEqual(
      expect.arrayContaining(["Random Access Dreams", "Discovery Channel"]),
    );
    // A public playlist is found by its name, with a typo.
    await page.fill("#query", "demp mix");
    await page.click("#search-button");
    await page.locator('#groups section[data-type="playlist"] li', { hasText: "Demo Mix" }).waitFor({ timeout: 10_000 });
    await page.fill("#query", "daft pulse");
    await page.click("#search-button");
    await top.locator(".name", { hasText: "Daft Pulse" }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, "search.png"), fullPage: true });
  });
});
