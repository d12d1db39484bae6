// The Backbeat SDK: what generation cannot give (a client factory, token
// auth with refresh, typed errors, paging), plus the generated messages and
// service descriptors, re-exported so one import serves both.
export { createBackbeatClient } from "./client.js";
export type { BackbeatClient, BackbeatClientOptions, Protocol } from "./client.js";
export { authInterceptor, MemoryTokenStore, tokensFromProto, webStorageTokenStore } from "./auth.js";
export type { AuthInterceptorOptions, AuthTokens, TokenStore, WebStorage } from "./auth.js";
export { BackbeatError, BadRequestSchema, codeName, isBackbeatError, typedErrors } from "./errors.js";
export type { CodeName, FieldViolation } from "./errors.js";
export { collect, pages, paginate } from "./paging.js";
export { describeResult, searchGroup, searchGroupResults } from "./search.js";
export { albumContext, checkStartPlayback, playlistContext, startInContext } from "./playback.js";
export type { PlaybackContextInit, PlayOptions } from "./playback.js";
export { retryDelay } from "./retry.js";
export type { PagedResponse, PageOptions } from "./paging.js";
export { Code, ConnectError } from "@connectrpc/connect";

export * from "./gen/backbeat/catalog/v1/catalog_pb.js";
export * from "./gen/backbeat/library/v1/library_pb.js";
export * from "./gen/backbeat/playback/v1/playback_pb.js";
export * from "./gen/backbeat/playlist/v1/playlist_pb.js";
export * from "./gen/backbeat/user/v1/user_pb.js";
