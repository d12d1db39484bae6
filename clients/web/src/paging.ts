/** A list response: a page of items and the token of the next page ("" at the end). */
export interface PagedResponse {
  nextPageToken: string;
}

export interface PageOptions {
  /** Stop after this many pages (default: no limit). */
  maxPages?: number;
  /** Stop, rejecting with the signal's reason, once this aborts. */
  signal?: AbortSignal;
}

/**
 * Yields every page of a list call, following next_page_token until the
 * server returns an empty one. `request` is sent as is for the first page
 * (set pageSize there) and with pageToken set after that.
 *
 *   for await (const page of pages((r) => client.catalog.listTracks(r), { pageSize: 50 })) { ... }
 */
export async function* pages<Req extends object, Res extends PagedResponse>(
  fetchPage: (request: Req & { pageToken: string }) => Promise<Res>,
  request: Req,
  opts: PageOptions = {},
): AsyncGenerator<Res, void, undefined> {
  const seen = new Set<string>();
  let token = (request as { pageToken?: string }).pageToken ?? "";
  for (let n = 0; opts.maxPages === undefined || n < opts.maxPages; n++) {
    opts.signal?.throwIfAborted();
    const res = await fetchPage({ ...request, pageToken: token });
    yield res;
    token = res.nextPageToken;
    if (!token) return;
    // A server that hands back a token twice would loop forever.
    if (seen.has(token)) throw new Error(`backbeat: page token repeated: ${token}`);
    seen.add(token);
  }
}

/**
 * Yields every item of a list call across pages: `select` picks the items
 * out of a response.
 *
 *   for await (const entry of paginate(
 *     (r) => client.playlist.getPlaylist(r), { playlistId, pageSize: 100 }, (res) => res.entries)) { ... }
 */
export async function* paginate<Req extends object, Res extends PagedResponse, Item>(
  fetchPage: (request: Req & { pageToken: string }) => Promise<Res>,
  request: Req,
  select: (response: Res) => Iterable<Item>,
  opts: PageOptions = {},
): AsyncGenerator<Item, void, undefined> {
  for await (const page of pages(fetchPage, request, opts)) {
    yield* select(page);
  }
}

/** Collects an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
