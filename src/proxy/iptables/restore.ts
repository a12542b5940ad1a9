// RuleSet → iptables-restore --noflush text, and iptables-save text → what is there now.
// Pure. One restore is one transaction: only the chains declared in it are flushed (ours, and
// only those whose rules changed), built-in chains are touched only by explicit -D/-I of our
// jump rules, so Docker's rules and anyone else's stay as they are.
import { chainPrefix } from './names.js';
import type { JumpRule, Rule, RuleSet, Table } from './rules.js';

export const tables: readonly Table[] = ['nat', 'filter'];

export interface SavedRule {
  chain: string;
  spec: string;
  packets: number;
  bytes: number;
}

/** One table of `iptables-save [-c]` output. */
export interface SavedTable {
  chains: string[];
  rules: SavedRule[];
}

export type Saved = Partial<Record<Table, SavedTable>>;

export function parseSave(text: string): Saved {
  const out: Saved = {};
  let cur: SavedTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      cur = { chains: [], rules: [] };
      if (name === 'nat' || name === 'filter') out[name] = cur;
      continue;
    }
    if (!cur) continue;
    if (line.startsWith(':')) {
      cur.chains.push(line.slice(1).split(' ')[0]!);
      continue;
    }
    const m = /^(?:\[(\d+):(\d+)\] )?-A (\S+) (.*)$/.exec(line);
    if (m) cur.rules.push({ chain: m[3]!, spec: m[4]!, packets: Number(m[1] ?? 0), bytes: Number(m[2] ?? 0) });
  }
  return out;
}


/** `iptables -t T -v -S CHAIN` output (counters as `-c PACKETS BYTES` inside each rule) → that chain's rules. */
export function parseChainListing(chain: string, text: string): SavedTable {
  const rules: SavedRule[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`-A ${chain} `)) continue;
    const m = / -c (\d+) (\d+)(?= |$)/.exec(line);
    const spec = line.replace(/ -c \d+ \d+(?= |$)/, '').slice(`-A ${chain} `.length);
    rules.push({ chain, spec, packets: Number(m?.[1] ?? 0), bytes: Number(m?.[2] ?? 0) });
  }
  return { chains: [chain], rules };
}

/** What a previous run (or a crashed one) left: our chains, and rules elsewhere that jump into them. */
export interface Leftovers {
  chains: Record<Table, string[]>;
  jumps: JumpRule[];
}

export function leftoversOf(saved: Saved, prefix = chainPrefix): Leftovers {
  const ours = (chain: string): boolean => chain.startsWith(prefix);
  const jumpsToOurs = (spec: string): boolean => spec.includes(` -j ${prefix}`) || spec.includes(` -g ${prefix}`) || spec.startsWith(`-j ${prefix}`) || spec.startsWith(`-g ${prefix}`);
  const left: Leftovers = { chains: { nat: [], filter: [] }, jumps: [] };
  for (const t of tables) {
    const s = saved[t];
    if (!s) continue;
    left.chains[t] = s.chains.filter(ours);
    for (const r of s.rules) if (!ours(r.chain) && jumpsToOurs(r.spec)) left.jumps.push({ table: t, chain: r.chain, spec: r.spec });
  }
  return left;
}

export interface RestorePlan {
  /** iptables-restore --noflush input; '' when there is nothing to do. */
  text: string;
  /** Chains flushed and rewritten (their counters restart from 0). */
  rewritten: Record<Table, string[]>;
}

export interface PlanInput {
  next: RuleSet;
  /** What the last restore of this process applied; undefined: write every chain of `next`. */
  prev?: RuleSet;
  /** Found by iptables-save: chains to delete unless in `next`, jump rules to delete. */
  leftovers?: Leftovers;
  /** Jump rules to insert (first in their chain). */
  insertJumps?: JumpRule[];
}

const sameRules = (a: Rule[] | undefined, b: Rule[]): boolean => a !== undefined && a.length === b.length && a.every((r, i) => r.spec === b[i]!.spec);

export function planRestore(p: PlanInput): RestorePlan {
  const rewritten: Record<Table, string[]> = { nat: [], filter: [] };
  let text = '';
  for (const t of tables) {
    const next = p.next[t];
    const write = [...next.keys()].filter((c) => !p.prev || !sameRules(p.prev[t].get(c), next.get(c)!));
    const gone = new Set([...(p.prev ? p.prev[t].keys() : []), ...(p.leftovers?.chains[t] ?? [])]);
    const remove = [...gone].filter((c) => !next.has(c)).sort();
    const delJumps = (p.leftovers?.jumps ?? []).filter((j) => j.table === t);
    const addJumps = (p.insertJumps ?? []).filter((j) => j.table === t);
    if (write.length + remove.length + delJumps.length + addJumps.length === 0) continue;
    const lines = [`*${t}`];
    // Declaring a chain creates it or, if it exists, flushes it (--noflush spares undeclared chains).
    for (const c of [...write, ...remove]) lines.push(`:${c} - [0:0]`);
    for (const c of write) for (const r of next.get(c)!) lines.push(`-A ${c} ${r.spec}`);
    for (const j of delJumps) lines.push(`-D ${j.chain} ${j.spec}`);
    for (const c of remove) lines.push(`-X ${c}`);
    for (const j of addJumps) lines.push(`-I ${j.chain} 1 ${j.spec}`);
    lines.push('COMMIT');
    text += `${lines.join('\n')}\n`;
    rewritten[t] = write;
  }
  return { text, rewritten };
}
