// Helpers for the grouped Search response: a top result and one paged group
// per type (artists, albums, tracks, playlists).
import type { Client } from "@connectrpc/connect";
import type { CatalogService, ItemType, SearchGroup, SearchResponse, SearchResult } from "./gen/backbeat/catalog/v1/catalog_pb.js";
import { paginate, type PageOptions } from "./paging.js";

/** The group of one type in a response, or undefined if it was not asked for. */
export function searchGroup(res: SearchResponse, type: ItemType): SearchGroup | undefined {
  return res.groups.find((g) => g.type === type);
}

/** What a result is, for display: its type and its name or title. */
export function describeResult(r: SearchResult): { type: "artist" | "album" | "track" | "playlist"; name: string; id: string } | undefined {
  switch (r.item.case) {
    case "artist":
      return { type: "artist", name: r.item.value.name, id: r.item.value.id };
    case "album":
      return { type: "album", name: r.item.value.title, id: r.item.value.id };
    case "track":
      return { type: "track", name: r.item.value.title, id: r.item.value.id };
    case "playlist":
      return { type: "playlist", name: r.item.value.name, id: r.item.value.id };
  }
  return undefined;
}

/**
 * Yields every result of one group across its pages: the request names
 * only that type, and each page follows the group's own next_page_token.
 *
 *   for await (const r of searchGroupResults(bb.catalog, "river", ItemType.TRACK, 20)) { ... }
 */
export function searchGroupResults(
  catalog: Client<typeof CatalogService>,
  query: string,
  type: ItemType,
  pageSize = 20,
  opts: PageOptions = {},
): AsyncGenerator<SearchResult, void, undefined> {
  return paginate(
    async (r: { query: string; types: ItemType[]; pageSize: number; pageToken: string }) => {
      const res = await catalog.search(r);
      const group = searchGroup(res, type);
      return { results: group?.results ?? [], nextPageToken: group?.nextPageToken ?? "" };
    },
    { query, types: [type], pageSize },
    (page) => page.results,
    opts,
  );
}
