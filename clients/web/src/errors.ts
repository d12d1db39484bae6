import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";

/**
 * google.rpc.BadRequest, the error detail Backbeat attaches to
 * invalid_argument errors to name the offending field. The googleapis protos
 * are not part of the generated code, so the two messages are described here
 * (field names and numbers as in google/rpc/error_details.proto).
 */
export const BadRequestSchema: DescMessage = (() => {
  const { STRING: TYPE_STRING, MESSAGE: TYPE_MESSAGE } = FieldDescriptorProto_Type;
  const { OPTIONAL, REPEATED } = FieldDescriptorProto_Label;
  const str = (name: string, number: number, jsonName: string) => ({
    name, number, jsonName, type: TYPE_STRING, label: OPTIONAL,
  });
  const file = create(FileDescriptorProtoSchema, {
    name: "google/rpc/error_details.proto",
    package: "google.rpc",
    syntax: "proto3",
    messageType: [{
      name: "BadRequest",
      field: [{
        name: "field_violations", number: 1, jsonName: "fieldViolations",
        type: TYPE_MESSAGE, label: REPEATED, typeName: ".google.rpc.BadRequest.FieldViolation",
      }],
      nestedType: [{
        name: "FieldViolation",
        field: [str("field", 1, "field"), str("description", 2, "description")],
      }],
    }],
  });
  const msg = createFileRegistry(file, () => undefined).getMessage("google.rpc.BadRequest");
  if (!msg) throw new Error("google.rpc.BadRequest descriptor did not build");
  return msg;
})();

/** One entry of a google.rpc.BadRequest detail. */
export interface FieldViolation {
  /** The request field, as the server names it, e.g. "username" or "playlist.name". */
  field: string;
  description: string;
}

/** snake_case name of a Connect code, as on the wire: "invalid_argument". */
export type CodeName =
  | "canceled" | "unknown" | "invalid_argument" | "deadline_exceeded" | "not_found"
  | "already_exists" | "permission_denied" | "resource_exhausted" | "failed_precondition"
  | "aborted" | "out_of_range" | "unimplemented" | "internal" | "unavailable"
  | "data_loss" | "unauthenticated";

export function codeName(code: Code): CodeName {
  const name = Code[code] ?? "Unknown";
  return name.replace(/[A-Z]/g, (c, i: number) => (i ? "_" : "") + c.toLowerCase()) as CodeName;
}

// "playlist.name: must be 1-200 characters": the server prefixes the field.
const fieldPrefix = /^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*|\[\d+\])*): /;

/**
 * BackbeatError is what every SDK call rejects with. It is a ConnectError
 * (so `instanceof ConnectError`, `ConnectError.from` and `err.code` keep
 * working, and `err.name` stays "ConnectError" for that reason) that adds:
 *
 * - `codeName`: the code as the protocol spells it ("not_found"),
 * - `rawMessage`: the server's message without the "[code]" prefix,
 * - `field`: the request field at fault, from the google.rpc.BadRequest
 *   detail, else from the "field: message" prefix the server writes,
 * - `fieldViolations`: every violation of the BadRequest detail.
 */
export class BackbeatError extends ConnectError {
  readonly codeName: CodeName;
  readonly field: string | undefined;
  readonly fieldViolations: readonly FieldViolation[];

  constructor(err: ConnectError) {
    super(err.rawMessage, err.code, err.metadata, undefined, err.cause ?? err);
    this.details = err.details;
    this.isWireError = err.isWireError;
    this.codeName = codeName(err.code);
    let violations: FieldViolation[] = [];
    try {
      violations = err
        .findDetails(BadRequestSchema)
        .flatMap((d) => (d as unknown as { fieldViolations: FieldViolation[] }).fieldViolations)
        .map(({ field, description }) => ({ field, description }));
    } catch {
      // An undecodable detail must not hide the error itself.
    }
    this.fieldViolations = violations;
    this.field = violations[0]?.field ?? fieldPrefix.exec(err.rawMessage)?.[1];
  }

  /** Wraps any thrown value; a BackbeatError is returned as is. */
  static override from(reason: unknown, code: Code = Code.Unknown): BackbeatError {
    if (reason instanceof BackbeatError) return reason;
    return new BackbeatError(ConnectError.from(reason, code));
  }

  // ConnectError's own check answers true for every ConnectError; this class
  // is narrower, so use the prototype chain.
  static override [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === "object" && v !== null && Object.prototype.isPrototypeOf.call(BackbeatError.prototype, v);
  }
}

/** True when err is a BackbeatError, optionally with the given code. */
export function isBackbeatError(err: unknown, code?: Code | CodeName): err is BackbeatError {
  if (!(err instanceof BackbeatError)) return false;
  if (code === undefined) return true;
  return typeof code === "string" ? err.codeName === code : err.code === code;
}

/**
 * An interceptor that turns every failure into a BackbeatError. The client
 * factory puts it outermost, so callers only ever see BackbeatErrors.
 */
export const typedErrors: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (e) {
    throw BackbeatError.from(e);
  }
};
