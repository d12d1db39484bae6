import { describe, expect, it } from "vitest";
import { Code, retryDelay } from "../src/index.js";
import { client, rejection, TRANSPORTS, uniqueName } from "./helpers.js";

describe.each(TRANSPORTS)("retry delay over $name", (transport) => {
  it("reads the RetryInfo delay of a login refused after repeated wrong passwords", async () => {
    const username = uniqueName("retry");
    const bb = client(transport);
    await bb.users.register({ username, email: `${username}@example.com`, password: "correct horse battery" });
    let refused;
    for (let i = 0; i < 10 && !refused; i++) {
      const err = await rejection(client(transport).login(username, "wrong password"));
      if (err.code === Code.ResourceExhausted) refused = err;
      else expect(err.code).toBe(Code.Unauthenticated);
    }
    expect(refused, "no resource_exhausted after 10 wrong passwords").toBeDefined();
    const ms = retryDelay(refused);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(60_000);
  });

  it("has no delay for other errors", async () => {
    const err = await rejection(client(transport).users.getMe({}));
    expect(retryDelay(err)).toBeUndefined();
    expect(retryDelay(new Error("plain"))).toBeUndefined();
  });
});
