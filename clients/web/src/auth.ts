import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Client, Interceptor } from "@connectrpc/connect";
import type { Tokens } from "./gen/backbeat/user/v1/user_pb.js";
import { UserService } from "./gen/backbeat/user/v1/user_pb.js";

/** The tokens a signed-in client holds. */
export interface AuthTokens {
  accessToken: string;
  refreshToken: string;
  accessTokenExpireTime?: Date | undefined;
  refreshTokenExpireTime?: Date | undefined;
}

/**
 * Where a client keeps its tokens. `set(undefined)` signs out. Implement it
 * to keep tokens somewhere else (a cookie jar, a keychain, a test double).
 */
export interface TokenStore {
  get(): AuthTokens | undefined;
  set(tokens: AuthTokens | undefined): void;
}

/** Keeps tokens in memory: right for Node and for one browser page. */
export class MemoryTokenStore implements TokenStore {
  #tokens: AuthTokens | undefined;
  constructor(tokens?: AuthTokens) {
    this.#tokens = tokens;
  }
  get(): AuthTokens | undefined {
    return this.#tokens;
  }
  set(tokens: AuthTokens | undefined): void {
    this.#tokens = tokens;
  }
}

/**
 * The part of the Web Storage API (sessionStorage, localStorage) a token
 * store needs: named here so the SDK's types need no DOM lib in a Node app.
 */
export interface WebStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Keeps tokens in a Web Storage area (sessionStorage or localStorage) under
 * key, so a reload stays signed in. Anything unreadable there counts as
 * signed out.
 */
export function webStorageTokenStore(storage: WebStorage, key = "backbeat.tokens"): TokenStore {
  return {
    get() {
      const raw = storage.getItem(key);
      if (!raw) return undefined;
      try {
        const t = JSON.parse(raw) as Record<string, unknown>;
        if (typeof t.accessToken !== "string" || typeof t.refreshToken !== "string") return undefined;
        const date = (v: unknown) => (typeof v === "string" ? new Date(v) : undefined);
        return {
          accessToken: t.accessToken,
          refreshToken: t.refreshToken,
          accessTokenExpireTime: date(t.accessTokenExpireTime),
          refreshTokenExpireTime: date(t.refreshTokenExpireTime),
        };
      } catch {
        return undefined;
      }
    },
    set(tokens) {
      if (tokens) storage.setItem(key, JSON.stringify(tokens));
      else storage.removeItem(key);
    },
  };
}

/** Converts the Tokens message of Login, Register and RefreshToken. */
export function tokensFromProto(t: Tokens | undefined): AuthTokens {
  if (!t || !t.accessToken) throw new Error("backbeat: response carried no tokens");
  return {
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    accessTokenExpireTime: t.accessTokenExpireTime && timestampDate(t.accessTokenExpireTime),
    refreshTokenExpireTime: t.refreshTokenExpireTime && timestampDate(t.refreshTokenExpireTime),
  };
}

/** Procedures that take no access token: they are how one gets one. */
const publicMethods = new Set(["Register", "Login", "RefreshToken"]);

function isPublic(serviceTypeName: string, methodName: string): boolean {
  return serviceTypeName === UserService.typeName && publicMethods.has(methodName);
}

export interface AuthInterceptorOptions {
  store: TokenStore;
  /**
   * A UserService client whose calls do not pass through this interceptor,
   * used for RefreshToken.
   */
  refreshClient: Client<typeof UserService>;
  /**
   * Called when the session cannot be renewed (the refresh token was
   * refused); the store has been cleared by then.
   */
  onSessionExpired?: ((err: ConnectError) => void) | undefined;
}

/**
 * An interceptor that sends `Authorization: Bearer <access token>` from the
 * store and, when a unary call fails with unauthenticated while a refresh
 * token is held, calls UserService.RefreshToken once with it, stores the new
 * tokens and retries the call once. Concurrent failures share one refresh:
 * refresh tokens rotate, so the second use of one would fail.
 */
export function authInterceptor(opts: AuthInterceptorOptions): Interceptor {
  const { store, refreshClient, onSessionExpired } = opts;
  let inflight: { refreshToken: string; promise: Promise<AuthTokens | undefined> } | undefined;

  // Returns the new tokens, or undefined when the refresh token was refused.
  function refresh(refreshToken: string): Promise<AuthTokens | undefined> {
    if (inflight?.refreshToken === refreshToken) return inflight.promise;
    const promise = (async () => {
      try {
        const res = await refreshClient.refreshToken({ refreshToken });
        const tokens = tokensFromProto(res.tokens);
        store.set(tokens);
        return tokens;
      } catch (e) {
        const err = ConnectError.from(e);
        // Only a refused refresh token ends the session; a network failure
        // leaves the tokens for the next attempt.
        if (err.code !== Code.Unauthenticated && err.code !== Code.InvalidArgument) throw err;
        if (store.get()?.refreshToken === refreshToken) store.set(undefined);
        onSessionExpired?.(err);
        return undefined;
      } finally {
        // Keep the settled promise briefly so callers that failed with the
        // old token in the meantime reuse its result.
        setTimeout(() => {
          if (inflight?.promise === promise) inflight = undefined;
        }, 0);
      }
    })();
    inflight = { refreshToken, promise };
    return promise;
  }

  return (next) => async (req) => {
    if (isPublic(req.service.typeName, req.method.name)) return next(req);
    const used = store.get();
    if (used) req.header.set("Authorization", `Bearer ${used.accessToken}`);
    try {
      return await next(req);
    } catch (e) {
      if (req.stream || ConnectError.from(e).code !== Code.Unauthenticated) throw e;
      // Another call may have refreshed while this one was in flight.
      let current = store.get();
      if (!current) throw e;
      if (current.accessToken === used?.accessToken) {
        current = await refresh(current.refreshToken);
        if (!current) throw e;
      }
      req.header.set("Authorization", `Bearer ${current.accessToken}`);
      return await next(req);
    }
  };
}
