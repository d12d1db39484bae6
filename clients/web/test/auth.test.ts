import { describe, expect, it, vi } from "vitest";
import { BackbeatError, Code, ConnectError, MemoryTokenStore, Role } from "../src/index.js";
import { callRecorder, client, DEMO_LISTENER, DEMO_PASSWORD, rejection, signedIn, TRANSPORTS, uniqueName } from "./helpers.js";

describe.each(TRANSPORTS)("auth over $name", (transport) => {
  it("logs in with a username and stores the tokens", async () => {
    const bb = client(transport);
    expect(bb.isSignedIn()).toBe(false);
    const res = await bb.login(DEMO_LISTENER, DEMO_PASSWORD);
    expect(res.user?.username).toBe(DEMO_LISTENER);
    expect(bb.tokens.get()?.accessToken).toBe(res.tokens?.accessToken);
    expect(bb.tokens.get()?.accessTokenExpireTime?.getTime()).toBeGreaterThan(Date.now());
    const me = await bb.users.getMe({});
    expect(me.user?.username).toBe(DEMO_LISTENER);
    expect(me.user?.roles).toContain(Role.LISTENER);
  });

  it("logs in with an email address", async () => {
    const bb = client(transport);
    const res = await bb.login("demo@example.com", DEMO_PASSWORD);
    expect(res.user?.username).toBe(DEMO_LISTENER);
  });

  it("rejects a wrong password as unauthenticated", async () => {
    const err = await rejection(client(transport).login(DEMO_LISTENER, "not-the-password"));
    expect(err.code).toBe(Code.Unauthenticated);
  });

  it("answers unauthenticated without a token", async () => {
    const err = await rejection(client(transport).users.getMe({}));
    expect(err).toBeInstanceOf(BackbeatError);
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.codeName).toBe("unauthenticated");
    expect(err.rawMessage).toMatch(/bearer token/);
  });

  it("registers a listener, signed in at once", async () => {
    const bb = client(transport);
    const username = uniqueName("reg");
    const res = await bb.register({ username, email: `${username}@example.com`, password: "correct horse battery", displayName: "Reg Tester" });
    expect(res.user?.username).toBe(username);
    expect(res.user?.roles).toEqual([Role.LISTENER]);
    expect(bb.isSignedIn()).toBe(true);
    expect((await bb.users.getMe({})).user?.id).toBe(res.user?.id);
    // And the account can sign in again.
    const again = await client(transport).login(username, "correct horse battery");
    expect(again.user?.id).toBe(res.user?.id);
  });

  it("names the field of an invalid registration", async () => {
    const bb = client(transport);
    const err = await rejection(bb.register({ username: "1-starts-with-a-digit", email: "x@example.com", password: "long enough password" }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.codeName).toBe("invalid_argument");
    expect(err.field).toBe("username");
    expect(err.fieldViolations).toEqual([{ field: "username", description: expect.stringMatching(/3-32 characters/) }]);
    expect(bb.isSignedIn()).toBe(false);
  });

  it("answers already_exists for a taken username", async () => {
    const err = await rejection(client(transport).register({ username: DEMO_LISTENER, email: "other@example.com", password: "long enough password" }));
    expect(err.code).toBe(Code.AlreadyExists);
  });

  it("refreshes a refused access token once and retries the call", async () => {
    const rec = callRecorder();
    const bb = await signedIn(DEMO_LISTENER, { ...transport, interceptors: [rec.interceptor] });
    const first = bb.tokens.get()!;
    bb.tokens.set({ ...first, accessToken: "garbage.not.a-jwt" });
    rec.calls.length = 0;

    const me = await bb.users.getMe({});
    expect(me.user?.username).toBe(DEMO_LISTENER);
    // GetMe refused, RefreshToken, GetMe again.
    expect(rec.calls).toEqual(["GetMe", "RefreshToken", "GetMe"]);
    const now = bb.tokens.get()!;
    expect(now.accessToken).not.toBe("garbage.not.a-jwt");
    expect(now.refreshToken).not.toBe(first.refreshToken);

    // Rotation: the old refresh token is spent.
    const err = await rejection(client(transport).users.refreshToken({ refreshToken: first.refreshToken }));
    expect(err.code).toBe(Code.Unauthenticated);
  });

  it("shares one refresh between concurrent calls", async () => {
    const rec = callRecorder();
    const bb = await signedIn(DEMO_LISTENER, { ...transport, interceptors: [rec.interceptor] });
    bb.tokens.set({ ...bb.tokens.get()!, accessToken: "garbage" });
    rec.calls.length = 0;
    const results = await Promise.all([
      bb.users.getMe({}),
      bb.playlists.listPlaylists({}),
      bb.catalog.search({ query: "daft" }),
      bb.users.getMe({}),
    ]);
    expect(results[0].user?.username).toBe(DEMO_LISTENER);
    expect(results[2].results.length).toBeGreaterThan(0);
    expect(rec.calls.filter((c) => c === "RefreshToken")).toHaveLength(1);
  });

  it("signs out when the refresh token is refused too", async () => {
    const expired = vi.fn();
    const tokens = new MemoryTokenStore({ accessToken: "garbage", refreshToken: "also-garbage" });
    const bb = client({ ...transport, tokens, onSessionExpired: expired });
    const err = await rejection(bb.users.getMe({}));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(bb.isSignedIn()).toBe(false);
    expect(expired).toHaveBeenCalledOnce();
  });

  it("logs out, revoking the refresh token", async () => {
    const bb = await signedIn(DEMO_LISTENER, transport);
    const held = bb.tokens.get()!;
    await bb.logout();
    expect(bb.isSignedIn()).toBe(false);
    const err = await rejection(client(transport).users.refreshToken({ refreshToken: held.refreshToken }));
    expect(err.code).toBe(Code.Unauthenticated);
  });
});
