import { describe, it } from "vitest";
import { Code, MemoryTokenStore } from "../src/index.js";
import { callRecorder, client, DEMO_LISTENER, rejection, signedIn, TRANSPORTS } from "./helpers.js";

// Runs in test.sh's second phase, against a server started with
// --access-ttl 2s (BACKBEAT_ACCESS_TTL_MS=2000): access tokens really expire
// and the SDK renews them on its own.
const ttlMs = Number(process.env.BACKBEAT_ACCESS_TTL_MS ?? 0);

describe.runIf(ttlMs > 0)("expiring access tokens", () => {
  it.concurrent.for(TRANSPORTS)("keep working across expiry by refreshing, over $name", async (transport, { expect }) => {
    const rec = callRecorder();
    const bb = await signedIn(DEMO_LISTENER, { ...transport, interceptors: [rec.interceptor] });
    const first = bb.tokens.get()!;
    expect(first.accessTokenExpireTime!.getTime() - Date.now()).toBeLessThanOrEqual(ttlMs + 1000);
    await bb.users.getMe({});

    await new Promise((r) => setTimeout(r, ttlMs + 1200));
    // The old token is really dead…
    const raw = await rejection(fetchMe(first.accessToken));
    expect(raw.code).toBe(Code.Unauthenticated);

    // …and the client renews it: one RefreshToken, then the call succeeds.
    rec.calls.length = 0;
    const me = await bb.users.getMe({});
    expect(me.user?.username).toBe(DEMO_LISTENER);
    expect(rec.calls).toEqual(["GetMe", "RefreshToken", "GetMe"]);
    expect(bb.tokens.get()!.accessToken).not.toBe(first.accessToken);
    expect(bb.tokens.get()!.accessTokenExpireTime!.getTime()).toBeGreaterThan(Date.now());
  });
});

// GetMe with a fixed token and no refresh, to show the token itself expired.
async function fetchMe(accessToken: string) {
  const c = client({ tokens: new MemoryTokenStore() });
  return c.users.getMe({}, { headers: { Authorization: `Bearer ${accessToken}` } });
}
