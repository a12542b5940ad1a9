// The current objects, in memory: the read path of every store (get/list never touch disk).
// Keys are kept sorted so that a prefix list walks only its own range, in key order.

import { matchesLabels } from '../api/selectors.js';
import type { Entry, ListOptions, StoredValue } from './store.js';

export class ObjectTable {
  private readonly entries = new Map<string, Entry>();
  private readonly keys: string[] = [];

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  set(entry: Entry): void {
    if (!this.entries.has(entry.key)) this.keys.splice(this.lowerBound(entry.key), 0, entry.key);
    this.entries.set(entry.key, entry);
  }

  delete(key: string): void {
    if (!this.entries.delete(key)) return;
    const i = this.lowerBound(key);
    if (this.keys[i] === key) this.keys.splice(i, 1);
  }

  values(): IterableIterator<Entry> {
    return this.entries.values();
  }

  /** A page of entries under prefix; continueKey is set only when a further match exists. */
  list(prefix: string, opts: ListOptions = {}): { items: Entry[]; continueKey?: string } {
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : Infinity;
    const after = opts.continueAfter;
    let i = after !== undefined && after >= prefix ? this.upperBound(after) : this.lowerBound(prefix);
    const items: Entry[] = [];
    for (; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      if (!key.startsWith(prefix)) break;
      const entry = this.entries.get(key)!;
      if (opts.labelSelector && !matchesLabels(opts.labelSelector, labelsOf(entry.value))) continue;
      if (items.length === limit) return { items, continueKey: items[items.length - 1]!.key };
      items.push(entry);
    }
    return { items };
  }

  /** First index whose key is >= key. */
  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose key is > key. */
  private upperBound(key: string): number {
    const i = this.lowerBound(key);
    return this.keys[i] === key ? i + 1 : i;
  }
}

export function labelsOf(value: StoredValue | undefined): Record<string, string> | undefined {
  return value?.metadata?.labels;
}
