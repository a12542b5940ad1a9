// Per service port counters from the rules' own packet/byte counters (iptables-save -c).
// A restore flushes the chains it rewrites, so their counters restart at 0: totals are kept as
// sums of deltas since the last reading, and the proxy reads just before every restore and
// forgets the last readings of rewritten chains right after it. What is lost is only what
// arrived between that reading and the restore (a few milliseconds).
import type { ServicePortCounters } from '../types.js';
import type { SavedTable } from './restore.js';
import type { RuleSet, Table } from './rules.js';

export class CounterBook {
  /** `table chain` → the last reading of each of its counted rules, by rule index. */
  private readonly last = new Map<string, Map<number, number>>();
  private readonly totals = new Map<string, ServicePortCounters>();

  /** Adds what the rules counted since the last reading; `rules` is what is installed. */
  record(table: Table, saved: SavedTable | undefined, rules: RuleSet): void {
    if (!saved) return;
    const index = new Map<string, number>();
    for (const r of saved.rules) {
      const i = index.get(r.chain) ?? 0;
      index.set(r.chain, i + 1);
      const counts = rules[table].get(r.chain)?.[i]?.counts;
      if (!counts) continue;
      const value = counts.field === 'connections' || counts.field === 'failed' ? r.packets : r.bytes;
      const chainId = `${table} ${r.chain}`;
      let chain = this.last.get(chainId);
      if (!chain) this.last.set(chainId, (chain = new Map()));
      const before = chain.get(i) ?? 0;
      chain.set(i, value);
      // Smaller than before: the chain was rewritten behind our back (or by an earlier restore).
      const delta = value >= before ? value - before : value;
      this.total(counts.key)[counts.field] += delta;
    }
  }

  /** After a restore: these chains start again from 0. */
  rewritten(table: Table, chainNames: readonly string[]): void {
    for (const chain of chainNames) this.last.delete(`${table} ${chain}`);
  }

  /** Counters of the given keys (zeros for keys never counted), in that order. */
  snapshot(keys: readonly string[]): ServicePortCounters[] {
    return keys.map((key) => ({ ...this.total(key) }));
  }

  /** Keys that left the state: their totals go too (a re-created service starts from 0). */
  retain(keys: ReadonlySet<string>): void {
    for (const k of [...this.totals.keys()]) if (!keys.has(k)) this.totals.delete(k);
  }

  private total(key: string): ServicePortCounters {
    let t = this.totals.get(key);
    if (!t) this.totals.set(key, (t = { key, connections: 0, bytesIn: 0, bytesOut: 0, failed: 0 }));
    return t;
  }
}
