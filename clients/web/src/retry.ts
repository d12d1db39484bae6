import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  file_google_protobuf_duration,
} from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * google.rpc.RetryInfo, the error detail Backbeat attaches to
 * resource_exhausted (a rate limit) and unavailable (overload) errors to say
 * when to try again. Described here, like BadRequestSchema, because the
 * googleapis protos are not part of the generated code (field name and
 * number as in google/rpc/error_details.proto).
 */
export const RetryInfoSchema: DescMessage = (() => {
  const file = create(FileDescriptorProtoSchema, {
    name: "google/rpc/retry_info.proto",
    package: "google.rpc",
    syntax: "proto3",
    dependency: ["google/protobuf/duration.proto"],
    messageType: [{
      name: "RetryInfo",
      field: [{
        name: "retry_delay", number: 1, jsonName: "retryDelay",
        type: FieldDescriptorProto_Type.MESSAGE, label: FieldDescriptorProto_Label.OPTIONAL,
        typeName: ".google.protobuf.Duration",
      }],
    }],
  });
  const registry = createFileRegistry(file, (name) =>
    name === "google/protobuf/duration.proto" ? file_google_protobuf_duration : undefined);
  const msg = registry.getMessage("google.rpc.RetryInfo");
  if (!msg) throw new Error("google.rpc.RetryInfo descriptor did not build");
  return msg;
})();

/**
 * The delay, in milliseconds, that a refusal of Backbeat's limits asks the
 * client to wait before trying again: the google.rpc.RetryInfo detail of a
 * resource_exhausted or unavailable error. Undefined for any other error, or
 * one without the detail.
 *
 *     try { await bb.login(name, password); }
 *     catch (e) { const ms = retryDelay(e); if (ms !== undefined) setTimeout(retry, ms); }
 */
export function retryDelay(err: unknown): number | undefined {
  if (!(err instanceof ConnectError)) return undefined;
  if (err.code !== Code.ResourceExhausted && err.code !== Code.Unavailable) return undefined;
  try {
    for (const d of err.findDetails(RetryInfoSchema)) {
      const delay = (d as unknown as { retryDelay?: { seconds: bigint; nanos: number } }).retryDelay;
      if (delay) return Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1e6);
    }
  } catch {
    // An undecodable detail: no delay to report.
  }
  return undefined;
}
