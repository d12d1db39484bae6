import type { Interceptor } from "@connectrpc/connect";
import { createBackbeatClient, isBackbeatError, TrackStatus } from "../src/index.js";
import type { BackbeatClient, BackbeatClientOptions, BackbeatError, Protocol } from "../src/index.js";

export const DEMO_LISTENER = "demo";
export const DEMO_ARTIST = "demo-artist";
export const DEMO_PASSWORD = "backbeat-demo";

/** Connect with JSON, Connect with protobuf binary, and gRPC-Web. */
export const TRANSPORTS: { name: string; protocol: Protocol; useBinaryFormat?: boolean }[] = [
  { name: "connect+json", protocol: "connect" },
  { name: "connect+proto", protocol: "connect", useBinaryFormat: true },
  { name: "grpc-web", protocol: "grpc-web" },
];

export function serverUrl(): string {
  const url = process.env.BACKBEAT_URL;
  if (!url) {
    throw new Error("BACKBEAT_URL is not set: run the tests with `bash clients/web/test.sh` (it starts a server)");
  }
  return url;
}

export function client(opts: Partial<BackbeatClientOptions> = {}): BackbeatClient {
  return createBackbeatClient({ baseUrl: serverUrl(), ...opts });
}

export async function signedIn(username = DEMO_LISTENER, opts: Partial<BackbeatClientOptions> = {}): Promise<BackbeatClient> {
  const c = client(opts);
  await c.login(username, DEMO_PASSWORD);
  return c;
}

let seq = 0;
/** A name no other test run on this server has used: 3-32 chars, lowercase. */
export function uniqueName(prefix: string): string {
  seq++;
  return `${prefix}${Date.now().toString(36)}${process.pid.toString(36)}${seq}`.slice(0, 32);
}

/** Records the method name of every call that reaches the transport. */
export function callRecorder(): { calls: string[]; interceptor: Interceptor } {
  const calls: string[] = [];
  return {
    calls,
    interceptor: (next) => async (req) => {
      calls.push(req.method.name);
      return next(req);
    },
  };
}

/** Awaits p, expecting it to reject with a BackbeatError, and returns that error. */
export async function rejection(p: Promise<unknown>): Promise<BackbeatError> {
  try {
    await p;
  } catch (e) {
    if (isBackbeatError(e)) return e;
    throw new Error(`expected a BackbeatError, got ${String(e)}`, { cause: e });
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/**
 * Waits until the track's audio is ready to stream: the server transcodes
 * uploads (the demo tracks' too) in the background. A track still waiting
 * for its upload gets a shorter budget than one being processed.
 */
export async function waitForReady(bb: BackbeatClient, trackId: string, timeoutMs = 90_000, pendingMs = 15_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const { track } = await bb.catalog.getTrack({ trackId });
    const status = track?.status ?? TrackStatus.UNSPECIFIED;
    if (status === TrackStatus.READY) return;
    if (status === TrackStatus.FAILED) throw new Error(`track ${trackId} failed processing: ${track?.statusReason}`);
    const waited = Date.now() - start;
    if (waited > timeoutMs || (status !== TrackStatus.PROCESSING && waited > pendingMs)) {
      throw new Error(`track ${trackId} not ready after ${waited} ms (status ${TrackStatus[status]})`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
