import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import type { Client, ConnectError, Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { authInterceptor, MemoryTokenStore, tokensFromProto } from "./auth.js";
import type { TokenStore } from "./auth.js";
import { typedErrors } from "./errors.js";
import { albumContext, checkedPlayback, playlistContext, startInContext } from "./playback.js";
import type { PlayOptions } from "./playback.js";
import { CatalogService } from "./gen/backbeat/catalog/v1/catalog_pb.js";
import { LibraryService } from "./gen/backbeat/library/v1/library_pb.js";
import { PlaybackService } from "./gen/backbeat/playback/v1/playback_pb.js";
import type { StartPlaybackResponse } from "./gen/backbeat/playback/v1/playback_pb.js";
import { PlaylistService } from "./gen/backbeat/playlist/v1/playlist_pb.js";
import { UserService } from "./gen/backbeat/user/v1/user_pb.js";
import type {
  ChangePasswordResponse,
  LoginResponse,
  RegisterRequestSchema,
  RegisterResponse,
  User,
} from "./gen/backbeat/user/v1/user_pb.js";

/** The wire protocol: Connect (the default) or gRPC-Web. */
export type Protocol = "connect" | "grpc-web";

export interface BackbeatClientOptions {
  /** The server's base URL, e.g. "https://music.example.com" or "http://127.0.0.1:8080". */
  baseUrl: string;
  protocol?: Protocol | undefined;
  /** Where tokens live; a fresh MemoryTokenStore by default. */
  tokens?: TokenStore | undefined;
  /** Protobuf binary instead of JSON on the wire (gRPC-Web is always binary). */
  useBinaryFormat?: boolean | undefined;
  /** Connect only: send side-effect-free calls as cacheable GET requests. */
  useHttpGet?: boolean | undefined;
  /** A deadline for every call, in milliseconds. */
  defaultTimeoutMs?: number | undefined;
  /** A fetch to use instead of globalThis.fetch. */
  fetch?: typeof globalThis.fetch | undefined;
  /** More interceptors; they run inside the SDK's, just before the transport. */
  interceptors?: Interceptor[] | undefined;
  /** Called when the refresh token is refused and the client is signed out. */
  onSessionExpired?: ((err: ConnectError) => void) | undefined;
}

export interface BackbeatClient {
  readonly baseUrl: string;
  readonly protocol: Protocol;
  readonly transport: Transport;
  readonly tokens: TokenStore;
  // The service accessors are named alike in every Backbeat SDK (clients/README.md).
  readonly users: Client<typeof UserService>;
  readonly catalog: Client<typeof CatalogService>;
  readonly playlists: Client<typeof PlaylistService>;
  /** StartPlayback here refuses a context of the wrong shape (see playlistContext). */
  readonly playback: Client<typeof PlaybackService>;
  /** The caller's saved tracks ("Liked Songs") and albums. */
  readonly library: Client<typeof LibraryService>;
  /** @deprecated Renamed `users` (the name in every Backbeat SDK); removed after 0.1. */
  readonly user: Client<typeof UserService>;
  /** @deprecated Renamed `playlists` (the name in every Backbeat SDK); removed after 0.1. */
  readonly playlist: Client<typeof PlaylistService>;
  /** Plays a playlist: its track at opts.index (0 by default), in the playlist's context. */
  playPlaylist(playlistId: string, opts?: PlayOptions): Promise<StartPlaybackResponse>;
  /** Plays an album: its track at opts.index (0 by default), in the album's context. */
  playAlbum(albumId: string, opts?: PlayOptions): Promise<StartPlaybackResponse>;
  /** Signs in with a username or email and a password, and stores the tokens. */
  login(login: string, password: string): Promise<LoginResponse>;
  /** Creates a listener account, signs it in and stores the tokens. */
  register(request: MessageInitShape<typeof RegisterRequestSchema>): Promise<RegisterResponse>;
  /** Revokes the refresh token on the server (best effort) and forgets the tokens. */
  logout(): Promise<void>;
  /**
   * Changes the password (the current one is required). Every session of the
   * account ends, this client's included; the fresh tokens the server returns
   * are stored, so this client stays signed in.
   */
  changePassword(currentPassword: string, newPassword: string): Promise<ChangePasswordResponse>;
  /** Ends every session of the account on the server, then forgets the tokens. */
  logoutEverywhere(): Promise<void>;
  /** Admins: disables an account and ends its sessions; it can no longer sign in. */
  disableUser(userId: string): Promise<User>;
  /** Admins: lets a disabled account sign in again. */
  enableUser(userId: string): Promise<User>;
  /** Admins: ends every session of another account. */
  endUserSessions(userId: string): Promise<void>;
  isSignedIn(): boolean;
}

function userOf(u: User | undefined): User {
  if (!u) throw new Error("backbeat: response carried no user");
  return u;
}

function transportFor(opts: BackbeatClientOptions, baseUrl: string, interceptors: Interceptor[]): Transport {
  // Options left out stay out: the transports' types take no undefined.
  const common = {
    baseUrl,
    interceptors,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.defaultTimeoutMs !== undefined ? { defaultTimeoutMs: opts.defaultTimeoutMs } : {}),
  };
  if ((opts.protocol ?? "connect") === "grpc-web") return createGrpcWebTransport(common);
  return createConnectTransport({
    ...common,
    useBinaryFormat: opts.useBinaryFormat ?? false,
    useHttpGet: opts.useHttpGet ?? false,
  });
}

/**
 * Creates a client for every Backbeat service over one transport, with
 * bearer-token auth that refreshes itself and errors typed as BackbeatError.
 *
 *   const bb = createBackbeatClient({ baseUrl: "http://127.0.0.1:8080" });
 *   await bb.login("demo", "backbeat-demo");
 *   const { topResult, groups } = await bb.catalog.search({ query: "lodz" });
 */
export function createBackbeatClient(opts: BackbeatClientOptions): BackbeatClient {
  if (!opts.baseUrl) throw new Error("backbeat: baseUrl is required");
  const baseUrl = opts.baseUrl.replace(/\/+$/, "");
  const protocol = opts.protocol ?? "connect";
  const tokens = opts.tokens ?? new MemoryTokenStore();
  const extra = opts.interceptors ?? [];

  // RefreshToken goes around the auth interceptor, which would otherwise
  // try to refresh its own failure.
  const refreshClient = createClient(UserService, transportFor(opts, baseUrl, [typedErrors, ...extra]));
  const auth = authInterceptor({ store: tokens, refreshClient, onSessionExpired: opts.onSessionExpired });
  const transport = transportFor(opts, baseUrl, [typedErrors, auth, ...extra]);
  const user = createClient(UserService, transport);
  const playlists = createClient(PlaylistService, transport);
  const playback = checkedPlayback(createClient(PlaybackService, transport));

  return {
    baseUrl,
    protocol,
    transport,
    tokens,
    users: user,
    catalog: createClient(CatalogService, transport),
    playlists,
    playback,
    user,
    playlist: playlists,
    playPlaylist(playlistId, opts) {
      return playback.startPlayback(startInContext(playlistContext(playlistId), opts));
    },
    playAlbum(albumId, opts) {
      return playback.startPlayback(startInContext(albumContext(albumId), opts));
    },
    library: createClient(LibraryService, transport),
    async login(login, password) {
      const res = await user.login({ login, password });
      tokens.set(tokensFromProto(res.tokens));
      return res;
    },
    async register(request) {
      const res = await user.register(request);
      tokens.set(tokensFromProto(res.tokens));
      return res;
    },
    async logout() {
      const held = tokens.get();
      tokens.set(undefined);
      if (!held) return;
      try {
        // Sent with the access token just taken out of the store.
        await refreshClient.logout(
          { refreshToken: held.refreshToken },
          { headers: { Authorization: `Bearer ${held.accessToken}` } },
        );
      } catch {
        // Signing out locally is what matters; the refresh token expires anyway.
      }
    },
    async changePassword(currentPassword, newPassword) {
      const res = await user.changePassword({ currentPassword, newPassword });
      tokens.set(tokensFromProto(res.tokens));
      return res;
    },
    async logoutEverywhere() {
      // Only a call that worked signs out locally: on failure the sessions
      // are still alive, and the caller should know and may retry.
      await user.logoutEverywhere({});
      tokens.set(undefined);
    },
    async disableUser(userId) {
      return userOf((await user.disableUser({ userId })).user);
    },
    async enableUser(userId) {
      return userOf((await user.enableUser({ userId })).user);
    },
    async endUserSessions(userId) {
      await user.endUserSessions({ userId });
    },
    isSignedIn() {
      return tokens.get() !== undefined;
    },
  };
}
