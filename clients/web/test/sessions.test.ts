import { describe, expect, it, vi } from "vitest";
import { Code } from "../src/index.js";
import type { BackbeatClient } from "../src/index.js";
import { client, DEMO_PASSWORD, rejection, TRANSPORTS, uniqueName } from "./helpers.js";

const PASSWORD = "correct horse battery";

function adminName(): string {
  const name = process.env.BACKBEAT_ADMIN;
  if (!name) throw new Error("BACKBEAT_ADMIN is not set: run the tests with `bash clients/web/test.sh` (with-server.sh makes one)");
  return name;
}

/** A new account, signed in on two clients: "here" and "elsewhere". */
async function twoSessions(transport: object): Promise<{ here: BackbeatClient; elsewhere: BackbeatClient; username: string; id: string }> {
  const here = client(transport);
  const username = uniqueName("ses");
  const res = await here.register({ username, email: `${username}@example.com`, password: PASSWORD });
  const elsewhere = client(transport);
  await elsewhere.login(username, PASSWORD);
  return { here, elsewhere, username, id: res.user?.id ?? "" };
}

describe.each(TRANSPORTS)("sessions over $name", (transport) => {
  it("changePassword keeps this client signed in and ends the other sessions", async () => {
    const { here, elsewhere, username } = await twoSessions(transport);
    const expired = vi.fn();
    const other = client({ ...transport, tokens: elsewhere.tokens, onSessionExpired: expired });
    const wrong = await rejection(here.changePassword("not the password", "a brand new passphrase"));
    expect(wrong.code).toBe(Code.PermissionDenied);
    const short = await rejection(here.changePassword(PASSWORD, "short"));
    expect(short.field).toBe("new_password");

    const before = here.tokens.get()?.accessToken;
    await here.changePassword(PASSWORD, "a brand new passphrase");
    expect(here.tokens.get()?.accessToken).not.toBe(before);
    expect((await here.users.getMe({})).user?.username).toBe(username);
    // The other session's refresh is refused too: it ends signed out.
    const err = await rejection(other.users.getMe({}));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(other.isSignedIn()).toBe(false);
    expect(expired).toHaveBeenCalledOnce();
    await client(transport).login(username, "a brand new passphrase");
  });

  it("logoutEverywhere signs out every client of the account", async () => {
    const { here, elsewhere } = await twoSessions(transport);
    const held = here.tokens.get();
    await here.logoutEverywhere();
    expect(here.isSignedIn()).toBe(false);
    expect((await rejection(elsewhere.users.getMe({}))).code).toBe(Code.Unauthenticated);
    expect(elsewhere.isSignedIn()).toBe(false);
    // The refresh token this client held is dead on the server too.
    const err = await rejection(client(transport).users.refreshToken({ refreshToken: held?.refreshToken ?? "" }));
    expect(err.code).toBe(Code.Unauthenticated);
  });

  it("an admin disables, enables and ends the sessions of an account", async () => {
    const admin = client(transport);
    await admin.login(adminName(), DEMO_PASSWORD);
    const { here: victim, username, id } = await twoSessions(transport);

    const disabled = await admin.disableUser(id);
    expect(disabled.disabled).toBe(true);
    expect((await rejection(victim.users.getMe({}))).code).toBe(Code.Unauthenticated);
    const refused = await rejection(client(transport).login(username, PASSWORD));
    expect(refused.code).toBe(Code.PermissionDenied);
    expect(refused.rawMessage).toMatch(/account disabled/);
    expect((await admin.users.getUser({ userId: id })).user?.disabled).toBe(true);

    const enabled = await admin.enableUser(id);
    expect(enabled.disabled).toBe(false);
    const back = client(transport);
    await back.login(username, PASSWORD);
    expect((await back.users.getMe({})).user?.id).toBe(id);

    await admin.endUserSessions(id);
    expect((await rejection(back.users.getMe({}))).code).toBe(Code.Unauthenticated);
    expect(back.isSignedIn()).toBe(false);

    // Not an admin: refused.
    const self = client(transport);
    await self.login(username, PASSWORD);
    expect((await rejection(self.disableUser(id))).code).toBe(Code.PermissionDenied);
  });
});
