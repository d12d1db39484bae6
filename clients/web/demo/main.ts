// The Backbeat demo player: sign in, search, play a track over HLS and add
// it to a playlist, all through the SDK in ../src.
import Hls from "hls.js";
import { createBackbeatClient, describeResult, isBackbeatError, ItemType, searchGroup, webStorageTokenStore } from "../src/index.js";
import type { Playlist, SearchResult, Track } from "../src/index.js";

// The server: ?server=<url>, else VITE_BACKBEAT_URL at build time, else the
// address `backbeat serve` listens on by default.
const baseUrl =
  new URLSearchParams(location.search).get("server") ||
  (import.meta.env.VITE_BACKBEAT_URL as string | undefined) ||
  "http://127.0.0.1:8080";

const NEW_PLAYLIST = "__new__";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  serverUrl: $("server-url"),
  signin: $("signin"),
  signinForm: $<HTMLFormElement>("signin-form"),
  username: $<HTMLInputElement>("username"),
  password: $<HTMLInputElement>("password"),
  signinButton: $<HTMLButtonElement>("signin-button"),
  signinError: $("signin-error"),
  app: $("app"),
  whoami: $("whoami"),
  signout: $<HTMLButtonElement>("signout-button"),
  searchForm: $<HTMLFormElement>("search-form"),
  query: $<HTMLInputElement>("query"),
  searchStatus: $("search-status"),
  results: $<HTMLOListElement>("results"),
  topResult: $("top-result"),
  tracksHeading: $("tracks-heading"),
  groups: $("groups"),
  nowPlaying: $("now-playing"),
  audio: $<HTMLAudioElement>("audio"),
  playerStatus: $("player-status"),
  playlistSelect: $<HTMLSelectElement>("playlist-select"),
  newPlaylistName: $<HTMLInputElement>("new-playlist-name"),
  playlistStatus: $("playlist-status"),
};

const bb = createBackbeatClient({
  baseUrl,
  tokens: webStorageTokenStore(sessionStorage, `backbeat.tokens:${baseUrl}`),
  onSessionExpired: () => showSignIn("Your session ended: please sign in again."),
});

/** A message for a person: the server's words for API errors. */
function describe(err: unknown): string {
  if (isBackbeatError(err)) return `${err.rawMessage} (${err.codeName})`;
  return err instanceof Error ? err.message : String(err);
}

function showSignIn(message = "") {
  stopPlayback();
  ui.app.hidden = true;
  ui.signin.hidden = false;
  ui.signinError.textContent = message;
  ui.password.value = "";
}

async function showApp() {
  const { user } = await bb.users.getMe({});
  ui.whoami.textContent = user ? `${user.displayName || user.username} (${user.username})` : "?";
  ui.signin.hidden = true;
  ui.app.hidden = false;
  await loadPlaylists();
  ui.query.focus();
}

// --- sign in / out -------------------------------------------------------

ui.signinForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  ui.signinButton.disabled = true;
  ui.signinError.textContent = "";
  try {
    await bb.login(ui.username.value.trim(), ui.password.value);
    await showApp();
  } catch (err) {
    ui.signinError.textContent = isBackbeatError(err, "unauthenticated") ? "Wrong username or password." : describe(err);
  } finally {
    ui.signinButton.disabled = false;
  }
});

ui.signout.addEventListener("click", async () => {
  await bb.logout();
  clearResults();
  showSignIn();
});

// --- search --------------------------------------------------------------

const artistNames = new Map<string, Promise<string>>();
function artistName(id: string): Promise<string> {
  let name = artistNames.get(id);
  if (!name) {
    name = bb.catalog.getArtist({ artistId: id }).then((r) => r.artist?.name ?? "", () => "");
    artistNames.set(id, name);
  }
  return name;
}

function duration(ms: bigint): string {
  const s = Number(ms / 1000n);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

ui.searchForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const query = ui.query.value.trim();
  if (!query) return;
  ui.searchStatus.textContent = "Searching…";
  clearResults();
  try {
    // Every type at once: the top result, then a group per type.
    const res = await bb.catalog.search({ query, pageSize: 20 });
    showTopResult(res.topResult);
    const tracks = (searchGroup(res, ItemType.TRACK)?.results ?? []).flatMap((r) => (r.item.case === "track" ? [r.item.value] : []));
    const rows = await Promise.all(tracks.map(resultRow));
    ui.results.replaceChildren(...rows);
    ui.tracksHeading.hidden = tracks.length === 0;
    const others = [
      ["Artists", ItemType.ARTIST],
      ["Albums", ItemType.ALBUM],
      ["Playlists", ItemType.PLAYLIST],
    ] as const;
    ui.groups.replaceChildren(...others.flatMap(([title, type]) => groupSection(title, type, searchGroup(res, type)?.results ?? [])));
    ui.searchStatus.textContent = tracks.length ? `${tracks.length} track${tracks.length > 1 ? "s" : ""} for “${query}”` : `No tracks for “${query}”.`;
  } catch (err) {
    ui.searchStatus.textContent = describe(err);
  }
});

function clearResults() {
  ui.results.replaceChildren();
  ui.groups.replaceChildren();
  ui.topResult.replaceChildren();
  ui.topResult.hidden = true;
  ui.tracksHeading.hidden = true;
}

/** The top result: the artist named exactly, else the best match of any type. */
function showTopResult(r: SearchResult | undefined) {
  const d = r && describeResult(r);
  if (!d) return;
  const label = document.createElement("small");
  label.textContent = `Top result · ${d.type}`;
  const name = document.createElement("strong");
  name.className = "name";
  name.textContent = d.name;
  ui.topResult.dataset.type = d.type;
  ui.topResult.replaceChildren(label, name);
  ui.topResult.hidden = false;
}

/** One group of non-track results, as a heading and a list of names; none if empty. */
function groupSection(title: string, type: ItemType, results: SearchResult[]): HTMLElement[] {
  if (results.length === 0) return [];
  const section = document.createElement("section");
  section.className = "group";
  section.dataset.type = ItemType[type].toLowerCase();
  const h = document.createElement("h3");
  h.textContent = title;
  const ul = document.createElement("ul");
  for (const r of results) {
    const li = document.createElement("li");
    li.textContent = describeResult(r)?.name ?? "";
    ul.append(li);
  }
  section.append(h, ul);
  return [section];
}

async function resultRow(track: Track): Promise<HTMLLIElement> {
  const li = document.createElement("li");
  li.dataset.trackId = track.id;
  const artists = (await Promise.all(track.artistIds.map(artistName))).filter(Boolean).join(", ");
  const title = document.createElement("span");
  title.className = "title";
  title.textContent = track.title;
  const sub = document.createElement("small");
  sub.textContent = [artists, duration(track.durationMs)].filter(Boolean).join(" · ");
  title.append(sub);
  const playButton = button("Play", "play-button", () => play(track, li));
  const addButton = button("Add to playlist", "add-button", () => addToPlaylist(track));
  addButton.classList.add("secondary");
  li.append(title, playButton, addButton);
  return li;
}

function button(label: string, cls: string, onClick: () => Promise<void>): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.className = cls;
  b.addEventListener("click", async () => {
    b.disabled = true;
    try {
      await onClick();
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

// --- playback ------------------------------------------------------------

let hls: Hls | undefined;

function stopPlayback() {
  hls?.destroy();
  hls = undefined;
  ui.audio.pause();
  ui.audio.removeAttribute("src");
}

async function play(track: Track, row: HTMLLIElement) {
  ui.playerStatus.textContent = "Starting…";
  try {
    const res = await bb.playback.startPlayback({ trackId: track.id });
    if (!res.hlsUrl && !res.progressiveUrl) throw new Error("the server returned no stream URL");
    stopPlayback();
    for (const li of ui.results.querySelectorAll("li.playing")) li.classList.remove("playing");
    row.classList.add("playing");
    ui.nowPlaying.textContent = track.title;
    ui.nowPlaying.classList.remove("muted");
    ui.audio.dataset.trackId = track.id;
    // Before its ladder is ready a track streams its upload (as it is, or
    // transcoded on the fly) at progressiveUrl only.
    ui.audio.dataset.engine = res.hlsUrl ? attach(res.hlsUrl) : attachProgressive(res.progressiveUrl);
    await ui.audio.play();
    ui.playerStatus.textContent = `Playing (${ui.audio.dataset.engine})`;
  } catch (err) {
    ui.playerStatus.textContent = `Cannot play: ${describe(err)}`;
  }
}

/** Attaches the HLS stream to the audio element; returns which engine plays it. */
function attach(url: string): string {
  if (Hls.isSupported()) {
    hls = new Hls();
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) ui.playerStatus.textContent = `Playback error: ${data.type} ${data.details}`;
    });
    hls.loadSource(url);
    hls.attachMedia(ui.audio);
    return "hls.js";
  }
  if (ui.audio.canPlayType("application/vnd.apple.mpegurl")) {
    ui.audio.src = url; // Safari and iOS play HLS natively.
    return "native HLS";
  }
  throw new Error("this browser cannot play HLS");
}

/** Plays one progressive file with the audio element itself. */
function attachProgressive(url: string): string {
  ui.audio.src = url;
  return "progressive";
}

// --- playlists -----------------------------------------------------------

async function loadPlaylists(select?: string) {
  const { playlists } = await bb.playlists.listPlaylists({ pageSize: 100 });
  const options = playlists.map((p: Playlist) => new Option(`${p.name} (${p.trackCount})`, p.id));
  options.push(new Option("New playlist…", NEW_PLAYLIST));
  ui.playlistSelect.replaceChildren(...options);
  ui.playlistSelect.value = select ?? NEW_PLAYLIST;
  syncNewPlaylistInput();
}

function syncNewPlaylistInput() {
  ui.newPlaylistName.hidden = ui.playlistSelect.value !== NEW_PLAYLIST;
}
ui.playlistSelect.addEventListener("change", syncNewPlaylistInput);

async function addToPlaylist(track: Track) {
  ui.playlistStatus.textContent = "Adding…";
  ui.newPlaylistName.removeAttribute("aria-invalid");
  try {
    let playlistId = ui.playlistSelect.value;
    if (playlistId === NEW_PLAYLIST) {
      const { playlist } = await bb.playlists.createPlaylist({ playlist: { name: ui.newPlaylistName.value.trim() } });
      playlistId = playlist!.id;
    }
    const res = await bb.playlists.addTracks({ playlistId, trackIds: [track.id] });
    await loadPlaylists(playlistId);
    const n = res.playlist?.trackCount ?? 0;
    ui.playlistStatus.textContent = `Added “${track.title}” to “${res.playlist?.name}” (${n} track${n === 1 ? "" : "s"}).`;
  } catch (err) {
    // Typed errors name the field at fault: point at it.
    if (isBackbeatError(err, "invalid_argument") && err.field === "playlist.name") {
      ui.newPlaylistName.setAttribute("aria-invalid", "true");
    }
    ui.playlistStatus.textContent = `Cannot add: ${describe(err)}`;
  }
}

// --- start ---------------------------------------------------------------

ui.serverUrl.textContent = baseUrl;
if (bb.isSignedIn()) {
  showApp().catch(() => showSignIn());
} else {
  showSignIn();
}
