// aedes' in-memory persistence, with retained messages looked up by exact topic.
//
// Every node keeps one retained `presence` message. Stock aedes-persistence answers each
// subscription by testing the subscription against every retained message, so registering
// N nodes costs N² matches: at a few thousand nodes the master spends half its CPU there and
// 10 000 nodes cannot register in minutes. Node subscriptions name exact topics (no
// wildcards), so a map lookup answers them; wildcard subscriptions (the master's) still scan.
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

const require = createRequire(import.meta.url);

interface RetainedPacket { topic: string; payload: Buffer }
interface AsyncPersistence {
  storeRetained(pkt: RetainedPacket): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): Readable;
}
type AsyncPersistenceClass = new (opts: object) => AsyncPersistence;

// The package's CommonJS internals: the memory store and its callback wrapper (what
// `aedes-persistence`'s default export builds) — not in its type definitions.
const MemoryPersistence = require('aedes-persistence/asyncPersistence.js') as AsyncPersistenceClass;
const { CallBackPersistence } = require('aedes-persistence/callBackPersistence.js') as { CallBackPersistence: new (factory: (opts: object) => AsyncPersistence, opts: object) => object };

function hasWildcard(pattern: string): boolean {
  return pattern.includes('+') || pattern.includes('#');
}

class IndexedRetainedPersistence extends MemoryPersistence {
  private readonly byTopic = new Map<string, RetainedPacket>();

  override async storeRetained(pkt: RetainedPacket): Promise<void> {
    await super.storeRetained(pkt);
    if (pkt.payload.length === 0) this.byTopic.delete(pkt.topic);
    else this.byTopic.set(pkt.topic, { ...pkt });
  }

  override createRetainedStreamCombi(patterns: string[]): Readable {
    if (patterns.some(hasWildcard)) return super.createRetainedStreamCombi(patterns);
    const hits = patterns.map((p) => this.byTopic.get(p)).filter((p): p is RetainedPacket => p !== undefined);
    return Readable.from(hits);
  }
}

/** A persistence object for `Aedes.createBroker({ persistence })`. */
export function createPersistence(): object {
  return new CallBackPersistence((opts) => new IndexedRetainedPersistence(opts), {});
}
