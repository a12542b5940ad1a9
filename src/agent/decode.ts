// Decoding master → node messages on the device. The shared codec validates against the full
// typebox schemas; loading typebox and compiling the Pod schema costs ~9 MB of RSS, a sixth of
// the agent's budget on a Pi Zero. The master is authenticated and is the only publisher on a
// node's master → node topics, so the agent checks the envelope and the fields it relies on
// instead, and refuses anything else with the codec's ProtocolError (src/protocol/envelope.ts).
import { isIP } from 'node:net';
import { encode, maxPayloadBytes, ProtocolError } from '../protocol/envelope.js';
import type { DesiredMessage, LogsRequest, ServicesMessage } from '../protocol/messages.js';

export { encode, ProtocolError };

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isRev = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

function fail(topic: string, what: string): never {
  throw new ProtocolError(`invalid ${topic} message: ${what}`, topic);
}

function parse(topic: string, payload: Buffer): Json {
  if (payload.length > maxPayloadBytes) throw new ProtocolError(`payload of ${payload.length} bytes exceeds the ${maxPayloadBytes}-byte limit`, topic);
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new ProtocolError(`payload is not JSON: ${(err as Error).message}`, topic);
  }
  if (!isObj(v)) throw new ProtocolError('payload is not a JSON object', topic);
  if (v.v !== 1) throw new ProtocolError(`unsupported protocol version ${JSON.stringify(v.v)} (this side speaks 1)`, topic);
  return v;
}

function checkBundle(b: unknown, where: string, topic: string): void {
  if (!isObj(b)) fail(topic, `${where} is not an object`);
  const pod = b.pod;
  if (!isObj(pod) || !isObj(pod.metadata) || !isObj(pod.spec)) fail(topic, `${where}.pod needs metadata and spec`);
  const m = pod.metadata;
  if (!isStr(m.name) || !isStr(m.uid)) fail(topic, `${where}.pod.metadata needs name and uid`);
  const containers = pod.spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) fail(topic, `${where}.pod.spec.containers must be a non-empty list`);
  for (const [i, c] of [...containers, ...(Array.isArray(pod.spec.initContainers) ? pod.spec.initContainers : [])].entries()) {
    if (!isObj(c) || !isStr(c.name)) fail(topic, `${where}.pod.spec container ${i} needs a name`);
  }
  if (!Array.isArray(b.configMaps) || !Array.isArray(b.secrets)) fail(topic, `${where} needs configMaps and secrets lists`);
}

export function decodeDesired(payload: Buffer, topic = 'desired'): DesiredMessage {
  const m = parse(topic, payload);
  // A resend request carries nothing else (no revision: it changes no desired state).
  if (m.type === 'resend') return m as unknown as DesiredMessage;
  if (!isRev(m.revision)) fail(topic, 'revision must be a non-negative integer');
  if (m.type === 'sync') {
    if (!Array.isArray(m.pods)) fail(topic, 'pods must be a list');
    m.pods.forEach((b, i) => checkBundle(b, `pods[${i}]`, topic));
  } else if (m.type === 'upsert') checkBundle(m.bundle, 'bundle', topic);
  else if (m.type === 'delete') {
    if (!isStr(m.namespace) || !isStr(m.name) || !isStr(m.uid)) fail(topic, 'delete needs namespace, name and uid');
  } else fail(topic, `unknown type ${JSON.stringify(m.type)}`);
  return m as unknown as DesiredMessage;
}

const streamId = /^[A-Za-z0-9_-]{1,64}$/;

export function decodeLogsRequest(payload: Buffer, topic = 'logs/request'): LogsRequest {
  const m = parse(topic, payload);
  if (typeof m.id !== 'string' || !streamId.test(m.id)) fail(topic, 'id must be 1-64 characters of [A-Za-z0-9_-]');
  if (m.type === 'logs.cancel') return m as unknown as LogsRequest;
  if (m.type !== 'logs.start') fail(topic, `unknown type ${JSON.stringify(m.type)}`);
  if (!isStr(m.namespace) || !isStr(m.pod) || !isStr(m.uid) || !isStr(m.container)) fail(topic, 'logs.start needs namespace, pod, uid and container');
  if (typeof m.follow !== 'boolean') fail(topic, 'follow must be a boolean');
  for (const k of ['tailLines', 'sinceSeconds', 'limitBytes'] as const) {
    if (m[k] !== undefined && !isRev(m[k])) fail(topic, `${k} must be a non-negative integer`);
  }
  return m as unknown as LogsRequest;
}


// Services feed the packet filter's rules and listeners: every string that reaches them is
// checked for its exact shape (names, addresses), not just its type.
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
const isAddr = (v: unknown): boolean => typeof v === 'string' && isIP(v) !== 0;
const protocols = new Set(['TCP', 'UDP', 'SCTP']);

function checkEndpoint(e: unknown, where: string, topic: string): void {
  if (!isObj(e) || !isAddr(e.ip) || !isPort(e.port)) fail(topic, `${where} needs an IP address and a port`);
  if (e.nodeName !== undefined && !(typeof e.nodeName === 'string' && dnsSubdomain.test(e.nodeName))) fail(topic, `${where}.nodeName is not a node name`);
}

function checkServicePort(p: unknown, where: string, topic: string): void {
  if (!isObj(p) || !isPort(p.port) || !protocols.has(p.protocol as string)) fail(topic, `${where} needs a port and a protocol (TCP, UDP, SCTP)`);
  if (p.name !== undefined && !(typeof p.name === 'string' && (p.name === '' || dnsLabel.test(p.name)))) fail(topic, `${where}.name is not a port name`);
  for (const k of ['nodePort', 'proxyPort'] as const) if (p[k] !== undefined && !isPort(p[k])) fail(topic, `${where}.${k} is not a port`);
  if (!Array.isArray(p.endpoints)) fail(topic, `${where}.endpoints must be a list`);
  p.endpoints.forEach((e, i) => checkEndpoint(e, `${where}.endpoints[${i}]`, topic));
}

function checkService(s: unknown, where: string, topic: string): void {
  if (!isObj(s) || typeof s.namespace !== 'string' || !dnsLabel.test(s.namespace) || typeof s.name !== 'string' || !dnsLabel.test(s.name)) fail(topic, `${where} needs a namespace and a name`);
  if (!isRev(s.revision)) fail(topic, `${where}.revision must be a non-negative integer`);
  if (s.clusterIP !== undefined && !isAddr(s.clusterIP)) fail(topic, `${where}.clusterIP is not an IP address`);
  if (s.externalIPs !== undefined && !(Array.isArray(s.externalIPs) && s.externalIPs.every(isAddr))) fail(topic, `${where}.externalIPs must be IP addresses`);
  if (s.affinitySeconds !== undefined && !(Number.isInteger(s.affinitySeconds) && (s.affinitySeconds as number) >= 1 && (s.affinitySeconds as number) <= 86_400)) fail(topic, `${where}.affinitySeconds must be 1-86400`);
  if (!Array.isArray(s.ports)) fail(topic, `${where}.ports must be a list`);
  s.ports.forEach((p, i) => checkServicePort(p, `${where}.ports[${i}]`, topic));
}

export function decodeServices(payload: Buffer, topic = 'services'): ServicesMessage {
  const m = parse(topic, payload);
  if (!isRev(m.revision)) fail(topic, 'revision must be a non-negative integer');
  if (m.type === 'services.sync') {
    if (!Array.isArray(m.services)) fail(topic, 'services must be a list');
    m.services.forEach((s, i) => checkService(s, `services[${i}]`, topic));
  } else if (m.type === 'services.upsert') checkService(m.service, 'service', topic);
  else if (m.type === 'services.delete') {
    if (!isStr(m.namespace) || !isStr(m.name)) fail(topic, 'services.delete needs namespace and name');
  } else fail(topic, `unknown type ${JSON.stringify(m.type)}`);
  return m as unknown as ServicesMessage;
}
