// MQTT topic layout between the master and its nodes. Versioned, one subtree per node:
//
//   bramble/v1/nodes/{node}/desired        master → node  desired state (sync, upsert, delete; resend)
//   bramble/v1/nodes/{node}/services       master → node  Services + Endpoints for the proxy and env vars
//   bramble/v1/nodes/{node}/hello          node → master  "I am (re)connected, send everything"
//   bramble/v1/nodes/{node}/status         node → master  node status + heartbeat
//   bramble/v1/nodes/{node}/podstatus      node → master  one pod's status
//   bramble/v1/nodes/{node}/presence       node → master  "online" (retained); Last Will: "offline"
//   bramble/v1/nodes/{node}/logs/request   master → node  start or cancel a log stream
//   bramble/v1/nodes/{node}/logs/data      node → master  log chunks, tagged with the stream id
//   bramble/v1/nodes/{node}/proxy          node → master  proxy mode and per service port counters
//
// A node may subscribe only to the master → node topics of its own subtree and publish only
// to the node → master topics of its own subtree. See docs/protocol.md.

export const protocolVersion = 1;
export const topicRoot = 'bramble/v1/nodes';

/** Topics a node receives (master publishes). */
export const toNode = ['desired', 'services', 'logs/request'] as const;
/** Topics a node sends (master subscribes). */
export const fromNode = ['hello', 'status', 'podstatus', 'presence', 'logs/data', 'proxy'] as const;

export type ToNodeTopic = (typeof toNode)[number];
export type FromNodeTopic = (typeof fromNode)[number];

const nodeNameRe = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Node names are DNS-1123 subdomains, so they never contain MQTT wildcards or separators. */
export function isValidNodeName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && nodeNameRe.test(name);
}

export function nodeTopic(node: string, leaf: ToNodeTopic | FromNodeTopic): string {
  if (!isValidNodeName(node)) throw new Error(`invalid node name for a topic: "${node}"`);
  return `${topicRoot}/${node}/${leaf}`;
}

/** What the master subscribes to, for every node at once. */
export function allNodesTopic(leaf: FromNodeTopic): string {
  return `${topicRoot}/+/${leaf}`;
}

export interface ParsedTopic {
  node: string;
  leaf: string;
}

/** `bramble/v1/nodes/pi-1/logs/data` → { node: 'pi-1', leaf: 'logs/data' }; undefined if outside the tree. */
export function parseNodeTopic(topic: string): ParsedTopic | undefined {
  const prefix = `${topicRoot}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const node = rest.slice(0, slash);
  if (!isValidNodeName(node)) return undefined;
  return { node, leaf: rest.slice(slash + 1) };
}

/**
 * May `node` publish to `topic`? Only its own node → master topics, never a wildcard.
 */
export function nodeMayPublish(node: string, topic: string): boolean {
  const p = parseNodeTopic(topic);
  return p !== undefined && p.node === node && (fromNode as readonly string[]).includes(p.leaf);
}

/**
 * May `node` subscribe to `filter`? Only its own master → node topics, named exactly
 * (or its whole own subtree's master → node part via `bramble/v1/nodes/{node}/#`, which the
 * broker narrows by checking each delivered topic with nodeMayReceive).
 */
export function nodeMaySubscribe(node: string, filter: string): boolean {
  if (filter === `${topicRoot}/${node}/#`) return true;
  const p = parseNodeTopic(filter);
  return p !== undefined && p.node === node && (toNode as readonly string[]).includes(p.leaf);
}

/** May a message on `topic` be delivered to `node`? */
export function nodeMayReceive(node: string, topic: string): boolean {
  const p = parseNodeTopic(topic);
  return p !== undefined && p.node === node && (toNode as readonly string[]).includes(p.leaf);
}
