// Pod logs over MQTT: `logs.start` to the pod's node, `logs.data` chunks back tagged with the
// stream id, `logs.cancel` when the reader goes away. Chunks are put in `seq` order and QoS 1
// duplicates dropped. A node that does not answer within `answerTimeoutMs` is an error.
import { randomBytes } from 'node:crypto';
import { StatusError } from '../api/status.js';
import type { PodLogRequest } from '../client/api.js';
import type { LogsData, LogsRequest } from '../protocol/messages.js';

export interface LogPublisher {
  publishLogsRequest(node: string, msg: LogsRequest): Promise<void>;
}

interface Stream {
  node: string;
  nextSeq: number;
  pending: Map<number, LogsData>;
  ready: LogsData[];
  failure: Error | undefined;
  wake: (() => void) | undefined;
}

export class LogStreams {
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly publisher: LogPublisher, private readonly answerTimeoutMs: number) {}

  get active(): number {
    return this.streams.size;
  }

  /** A logs.data message from `node`; chunks for streams of other nodes are ignored. */
  receive(node: string, msg: LogsData): boolean {
    const s = this.streams.get(msg.id);
    if (!s || s.node !== node) return false;
    if (msg.seq < s.nextSeq || s.pending.has(msg.seq)) return true; // a redelivery
    s.pending.set(msg.seq, msg);
    for (let m = s.pending.get(s.nextSeq); m !== undefined; m = s.pending.get(s.nextSeq)) {
      s.pending.delete(s.nextSeq);
      s.ready.push(m);
      s.nextSeq++;
    }
    s.wake?.();
    return true;
  }

  /** The node went away: its streams end with an error. */
  failNode(node: string, why: string): void {
    for (const s of this.streams.values()) {
      if (s.node !== node) continue;
      s.failure ??= new StatusError('ServiceUnavailable', `log stream from node ${node} ended: ${why}`);
      s.wake?.();
    }
  }

  async *stream(req: PodLogRequest, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const id = randomBytes(12).toString('base64url');
    const s: Stream = { node: req.node, nextSeq: 0, pending: new Map(), ready: [], failure: undefined, wake: undefined };
    this.streams.set(id, s);
    const onAbort = (): void => s.wake?.();
    signal.addEventListener('abort', onAbort);
    const timer = setTimeout(() => {
      if (s.nextSeq > 0) return;
      s.failure ??= new StatusError('Timeout', `node ${req.node} did not answer the log request for pod ${req.namespace}/${req.pod} within ${Math.round(this.answerTimeoutMs / 1000)}s (is it connected?)`);
      s.wake?.();
    }, this.answerTimeoutMs);
    let finished = false;
    try {
      await this.publisher.publishLogsRequest(req.node, startMessage(id, req));
      for (;;) {
        if (signal.aborted) return;
        const m = s.ready.shift();
        if (m) {
          if (m.error !== undefined) {
            finished = true;
            throw new StatusError('BadRequest', `node ${req.node}: ${m.error}`);
          }
          if (m.data !== undefined || m.seq === 0) yield Buffer.from(m.data ?? '', 'base64');
          if (m.end) { finished = true; return; }
          continue;
        }
        if (s.failure) throw s.failure;
        await new Promise<void>((r) => { s.wake = r; });
        s.wake = undefined;
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      this.streams.delete(id);
      if (!finished) this.publisher.publishLogsRequest(req.node, { v: 1, type: 'logs.cancel', id }).catch(() => undefined);
    }
  }
}

function startMessage(id: string, req: PodLogRequest): LogsRequest {
  const m: LogsRequest = { v: 1, type: 'logs.start', id, namespace: req.namespace, pod: req.pod, uid: req.uid, container: req.container, follow: req.follow };
  if (req.tailLines !== undefined) m.tailLines = req.tailLines;
  if (req.sinceSeconds !== undefined) m.sinceSeconds = req.sinceSeconds;
  if (req.timestamps !== undefined) m.timestamps = req.timestamps;
  if (req.limitBytes !== undefined) m.limitBytes = req.limitBytes;
  if (req.previous !== undefined) m.previous = req.previous;
  return m;
}
