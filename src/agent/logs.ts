// Log streams for the master: on logs.start, the container's log bytes go out as logs.data
// chunks (base64, at most 64 KiB of text each, numbered), then one message with end: true, or
// with error when the pod or container is unknown. logs.cancel aborts a stream.
import type { Logger } from '../log/logger.js';
import type { LogsData, LogsRequest } from '../protocol/messages.js';
import { runtimeLabels, type ContainerRuntime } from './runtime/runtime.js';

/** 48 KiB of bytes is exactly 64 KiB of base64. */
export const maxChunkBytes = 48 * 1024;

export interface LogStreamDeps {
  nodeName: string;
  runtime: ContainerRuntime;
  logger: Logger;
  /** Resolves when the message is handed to the link (flow control); rejects when the link is down. */
  publish: (m: LogsData) => Promise<void>;
}

type LogsStart = Extract<LogsRequest, { type: 'logs.start' }>;

export class LogStreams {
  private readonly streams = new Map<string, AbortController>();

  constructor(private readonly d: LogStreamDeps) {}

  handle(req: LogsRequest): void {
    if (req.type === 'logs.cancel') {
      this.streams.get(req.id)?.abort();
      this.streams.delete(req.id);
      return;
    }
    if (this.streams.has(req.id)) return; // a redelivered start (QoS 1): the stream already runs
    const ac = new AbortController();
    this.streams.set(req.id, ac);
    void this.run(req, ac.signal).finally(() => {
      if (this.streams.get(req.id)?.signal === ac.signal) this.streams.delete(req.id);
    });
  }

  get active(): number {
    return this.streams.size;
  }

  stopAll(): void {
    for (const ac of this.streams.values()) ac.abort();
    this.streams.clear();
  }

  /** The instance to read: the newest, or with `previous` the one before it. */
  private async findContainer(req: LogsStart): Promise<string | { error: string }> {
    const all = await this.d.runtime.listContainers(this.d.nodeName);
    const pod = all.filter((c) => c.pod.uid === req.uid && c.labels[runtimeLabels.managed] === 'true');
    if (pod.length === 0) return { error: `pod ${req.namespace}/${req.pod} (uid ${req.uid}) has no containers on node ${this.d.nodeName}` };
    const instances = pod.filter((c) => !c.isSandbox && c.name === req.container).sort((a, b) => a.restartCount - b.restartCount);
    if (instances.length === 0) {
      const names = [...new Set(pod.filter((c) => !c.isSandbox).map((c) => c.name))].join(', ');
      return { error: `container "${req.container}" is not valid for pod ${req.pod}${names ? `: choose one of [${names}]` : ''}` };
    }
    if (req.previous) {
      const prev = instances[instances.length - 2];
      return prev ? prev.id : { error: `previous terminated container "${req.container}" in pod "${req.pod}" not found` };
    }
    return instances[instances.length - 1]!.id;
  }

  private async run(req: LogsStart, signal: AbortSignal): Promise<void> {
    let seq = 0;
    const send = (m: Omit<LogsData, 'v' | 'type' | 'id' | 'seq'>): Promise<void> => this.d.publish({ v: 1, type: 'logs.data', id: req.id, seq: seq++, ...m });
    try {
      const found = await this.findContainer(req);
      if (typeof found !== 'string') {
        await send({ error: found.error, end: true });
        return;
      }
      let budget = req.limitBytes ?? Number.POSITIVE_INFINITY;
      const opts = { follow: req.follow, tailLines: req.tailLines, sinceSeconds: req.sinceSeconds, timestamps: req.timestamps };
      for await (const chunk of this.d.runtime.logs(found, opts, signal)) {
        let buf = chunk.length > budget ? chunk.subarray(0, budget) : chunk;
        budget -= buf.length;
        while (buf.length > 0) {
          await send({ data: buf.subarray(0, maxChunkBytes).toString('base64') });
          buf = buf.subarray(maxChunkBytes);
        }
        if (budget <= 0 || signal.aborted) break;
      }
      if (!signal.aborted) await send({ end: true });
    } catch (err) {
      if (signal.aborted) return;
      const message = err instanceof Error ? err.message : String(err);
      this.d.logger.warn({ stream: req.id, err: message }, 'log stream failed');
      await send({ error: message.slice(0, 4000), end: true }).catch(() => undefined);
    }
  }
}
