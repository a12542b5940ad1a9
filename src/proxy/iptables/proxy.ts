// The iptables backend: programs the kernel's packet filter (nat + filter tables, through
// iptables-restore, one transaction per change) so Services are served without any userspace
// hop. Rules are built by rules.ts from the full desired state; only chains whose rules changed
// are rewritten, and an unchanged state is a no-op. docs/networking.md, "iptables mode".
import type { Logger } from '../../log/logger.js';
import type { ProxyBackend, ProxyState, ServicePortCounters } from '../types.js';
import { staleUdpFlows } from './conntrack.js';
import { CounterBook } from './counters.js';
import { leftoversOf, parseChainListing, parseSave, planRestore, tables, type RestorePlan, type Saved } from './restore.js';
import { buildRuleSet, jumpRules, type RuleOptions, type RuleSet } from './rules.js';
import { commandRunner, netnsPrefix, runChecked, type Runner } from './runner.js';

export interface IptablesProxyOptions extends RuleOptions {
  logger: Logger;
  /** Program this network namespace (`ip netns exec NS ...`) instead of the host's: tests, benches. */
  netns?: string;
  /** Runs the commands (default: child processes, behind the netns prefix). */
  run?: Runner;
  /** Read the rules' counters this often (default 10 s; 0: only before a restore and on refreshCounters()). */
  counterIntervalMs?: number;
}

const emptyRules = (): RuleSet => ({ nat: new Map(), filter: new Map() });

export class IptablesProxy implements ProxyBackend {
  readonly mode = 'iptables' as const;
  private readonly run: Runner;
  private readonly log: Logger;
  private readonly book = new CounterBook();
  /** What the last successful restore left installed (undefined before start and after stop). */
  private applied: RuleSet | undefined;
  private state: ProxyState = { ports: [] };
  /** JSON of the state the installed rules were built from (undefined: build and compare). */
  private fingerprint: string | undefined;
  private conntrack = false;
  private timer: NodeJS.Timeout | undefined;
  /** Syncs, counter reads and stop run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Restores applied since start (tests and benches check that no-op syncs apply nothing). */
  restores = 0;

  constructor(private readonly opts: IptablesProxyOptions) {
    this.run = opts.run ?? commandRunner(netnsPrefix(opts.netns));
    this.log = opts.logger.child({ component: 'proxy', mode: 'iptables' });
  }

  /**
   * Removes whatever an earlier (crashed) run left — our chains and jumps into them — and
   * installs the base chains and jumps, in one transaction: there is never a moment with two
   * jumps or none. Services are served again from the first sync.
   */
  start(): Promise<void> {
    return this.serial(async () => {
      const left = leftoversOf(parseSave(await this.save()), this.opts.chainPrefix);
      const stale = left.chains.nat.length + left.chains.filter.length;
      if (stale > 0) this.log.info({ chains: stale, jumps: left.jumps.length }, 'iptables: replacing chains left by an earlier run');
      const next = buildRuleSet(this.state, this.opts);
      const plan = planRestore({ next, leftovers: left, insertJumps: jumpRules(this.opts.chainPrefix) });
      await this.restore(plan.text);
      this.applied = next;
      this.fingerprint = undefined;
      this.conntrack = (await this.run(['conntrack', '--version']).catch(() => ({ code: 127 }))).code === 0;
      if (!this.conntrack) this.log.info('iptables: the conntrack tool is not installed; UDP flows to removed endpoints expire by themselves (install the conntrack package)');
      const every = this.opts.counterIntervalMs ?? 10_000;
      if (every > 0) {
        this.timer = setInterval(() => { this.refreshCounters().catch((err: unknown) => this.log.warn({ err }, 'iptables: reading counters failed')); }, every);
        this.timer.unref();
      }
    });
  }

  sync(state: ProxyState): Promise<void> {
    return this.serial(async () => {
      if (!this.applied) throw new Error('IptablesProxy.sync before start()');
      // The common case (the master re-sends what we have): skip building ~13 000 rules for 1000 services.
      const fingerprint = JSON.stringify(state);
      if (fingerprint === this.fingerprint) return;
      const next = buildRuleSet(state, this.opts);
      const plan = planRestore({ next, prev: this.applied });
      if (plan.text !== '') {
        await this.readBeforeRewrite(plan);
        await this.restore(plan.text);
        for (const t of tables) this.book.rewritten(t, plan.rewritten[t]);
        this.applied = next;
      }
      const prevState = this.state;
      // A copy: the caller may change its object later, and the next UDP flush compares with this one.
      this.state = JSON.parse(fingerprint) as ProxyState;
      this.fingerprint = fingerprint;
      this.book.retain(new Set(state.ports.map((p) => p.key)));
      if (plan.text === '') return;
      await this.flushUdp(staleUdpFlows(prevState, this.state));
    });
  }

  /** Removes all our chains and the jumps into them (found by name, so leftovers go too). */
  stop(): Promise<void> {
    return this.serial(async () => {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      const left = leftoversOf(parseSave(await this.save()), this.opts.chainPrefix);
      await this.restore(planRestore({ next: emptyRules(), leftovers: left }).text);
      this.applied = undefined;
      this.fingerprint = undefined;
    });
  }

  /** Counters as of the last reading (periodic, before each restore, or refreshCounters()). */
  counters(): ServicePortCounters[] {
    return this.book.snapshot(this.state.ports.map((p) => p.key));
  }

  refreshCounters(): Promise<void> {
    return this.serial(async () => {
      if (this.applied) this.record(parseSave(await this.save()));
    });
  }

  /**
   * Counters of the chains about to be rewritten would restart at 0: take them first. A few
   * chains (an endpoint change touches one SVC chain) are listed one by one, cheaper than
   * iptables-save of ~13 000 rules (1000 services); more take one iptables-save.
   */
  private async readBeforeRewrite(plan: RestorePlan): Promise<void> {
    const applied = this.applied!;
    const counted = tables.flatMap((t) => plan.rewritten[t].filter((c) => applied[t].get(c)?.some((r) => r.counts)).map((c) => [t, c] as const));
    if (counted.length === 0) return;
    if (counted.length > 4) return this.record(parseSave(await this.save()));
    for (const [t, c] of counted) this.book.record(t, parseChainListing(c, await runChecked(this.run, ['iptables', '-w', '5', '-t', t, '-v', '-S', c])), applied);
  }

  private record(saved: Saved): void {
    if (!this.applied) return;
    for (const t of tables) this.book.record(t, saved[t], this.applied);
  }

  private async save(): Promise<string> {
    return runChecked(this.run, ['iptables-save', '-c']);
  }

  private async restore(text: string): Promise<void> {
    if (text === '') return;
    await runChecked(this.run, ['iptables-restore', '-w', '5', '--noflush'], text);
    this.restores++;
  }

  private async flushUdp(flows: string[][]): Promise<void> {
    if (!this.conntrack) return;
    for (const args of flows) {
      // Exit 1 with "0 flow entries" is the common case: nothing to delete.
      const r = await this.run(['conntrack', ...args]);
      if (r.code !== 0 && !/0 flow entries/.test(r.stderr)) this.log.debug({ args, stderr: r.stderr.trim() }, 'iptables: conntrack -D failed');
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }
}
