// Encoding and strict decoding of protocol messages. Decoding never throws anything but
// ProtocolError, whose message says what was wrong, so a hostile payload costs a log line.
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { maxPayloadBytes, ProtocolError } from './envelope.js';
import { topicSchemas } from './messages.js';

export { encode, maxPayloadBytes, ProtocolError } from './envelope.js';

const checks = new Map<string, TypeCheck<TSchema>>();

/** The schema for a message of `type` on `leaf`: the union member with that type where the leaf has several. */
function schemaFor(leaf: string, type: unknown): { key: string; schema: TSchema } | undefined {
  const schema = topicSchemas[leaf];
  if (!schema) return undefined;
  const members = (schema as { anyOf?: TSchema[] }).anyOf;
  const member = typeof type === 'string' ? members?.find((m) => (m as { properties?: { type?: { const?: unknown } } }).properties?.type?.const === type) : undefined;
  return member ? { key: `${leaf}:${type as string}`, schema: member } : { key: leaf, schema };
}

function checkFor(leaf: string, type: unknown): TypeCheck<TSchema> | undefined {
  const s = schemaFor(leaf, type);
  if (!s) return undefined;
  let c = checks.get(s.key);
  if (!c) {
    c = TypeCompiler.Compile(s.schema);
    checks.set(s.key, c);
  }
  return c;
}

/** Parse and validate a payload received on a topic whose leaf is `leaf`. */
export function decode<T extends TSchema>(leaf: string, payload: Buffer, topic = leaf): Static<T> {
  if (payload.length > maxPayloadBytes) throw new ProtocolError(`payload of ${payload.length} bytes exceeds the ${maxPayloadBytes}-byte limit`, topic);
  if (!topicSchemas[leaf]) throw new ProtocolError(`no messages are defined for topic leaf "${leaf}"`, topic);
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new ProtocolError(`payload is not JSON: ${(err as Error).message}`, topic);
  }
  if (typeof value !== 'object' || value === null) throw new ProtocolError('payload is not a JSON object', topic);
  const v = (value as { v?: unknown }).v;
  if (v !== 1) throw new ProtocolError(`unsupported protocol version ${JSON.stringify(v)} (this side speaks 1)`, topic);
  const check = checkFor(leaf, (value as { type?: unknown }).type)!;
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    throw new ProtocolError(`invalid ${leaf} message${first ? ` at ${first.path || '/'}: ${first.message}` : ''}`, topic);
  }
  return value as Static<T>;
}
