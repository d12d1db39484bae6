// Playable at once: a just-uploaded MP3 and FLAC play in Debian's headless
// Chromium (an <audio> element, driven by playwright-core) straight from
// StartPlayback, before the server has transcoded them: it hands out the
// original file.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StreamKind } from "../src/index.js";
import { DEMO_ARTIST, DEMO_LISTENER, signedIn, uniqueName } from "../test/helpers.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Writes 3 s of a chord over quiet noise with ffmpeg's options for the format. */
function audio(dir: string, name: string, ...args: string[]): Blob {
  const path = join(dir, name);
  execFileSync("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y",
    "-filter_complex", "sine=f=220:d=3[a];sine=f=330:d=3[b];anoisesrc=d=3:c=pink:a=0.05[n];[a][b][n]amix=inputs=3,aformat=channel_layouts=stereo",
    ...args, path,
  ]);
  return new Blob([readFileSync(path)]);
}

describe.sequential("just-uploaded audio in headless Chromium", () => {
  let browser: Browser | undefined;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), "backbeat-early-"));

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage();
    await page.setContent("<audio id=a></audio>");
  });

  afterAll(async () => {
    await browser?.close();
  });

  it.for([
    { name: "in.mp3", args: ["-c:a", "libmp3lame", "-b:a", "192k"], type: "audio/mpeg" },
    { name: "in.flac", args: [], type: "audio/flac" },
  ])("plays $name before any transcode", { timeout: 60_000 }, async ({ name, args, type }) => {
    const artist = await signedIn(DEMO_ARTIST);
    const { artist: a } = await artist.catalog.createArtist({ artist: { name: uniqueName("Early ") } });
    const { track } = await artist.catalog.createTrack({ track: { title: name, artistIds: [a!.id], durationMs: 3000n } });
    const up = await artist.catalog.createTrackUpload({ trackId: track!.id });
    const put = await fetch(up.uploadUrl, { method: "PUT", body: audio(dir, name, ...args) });
    expect(put.status).toBe(200);

    const listener = await signedIn(DEMO_LISTENER);
    const res = await listener.playback.startPlayback({ trackId: track!.id });
    expect(res.streamKind).toBe(StreamKind.ORIGINAL);
    expect(res.ladderReady).toBe(false);
    expect(res.hlsUrl).toBe("");
    const head = await fetch(res.progressiveUrl, { headers: { Range: "bytes=0-3" } });
    expect(head.status).toBe(206);
    expect(head.headers.get("content-type")).toBe(type);

    const outcome = await page.evaluate(async (url) => {
      const a = document.getElementById("a") as HTMLAudioElement;
      a.src = url;
      await a.play();
      return new Promise<string>((resolve) => {
        const t0 = Date.now();
        const tick = () => {
          if (a.currentTime > 0.5) resolve("playing");
          else if (a.error) resolve(`error ${a.error.code} ${a.error.message}`);
          else if (Date.now() - t0 > 30_000) resolve(`stuck at ${a.currentTime}`);
          else setTimeout(tick, 50);
        };
        tick();
      });
    }, res.progressiveUrl);
    expect(outcome).toBe("playing");
  });
});
