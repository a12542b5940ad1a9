// --proxy-mode auto: iptables when it can be used, userspace (with the reason) otherwise.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { detectProxyMode, iptablesProblem } from '../../src/proxy/mode.js';
import { commandRunner, type Runner } from '../../src/proxy/iptables/runner.js';
import { inNs, sh } from '../helpers/netns.js';
import { describeIptables } from '../helpers/root.js';

function logger(): { lines: string[]; info: (o: unknown, m?: string) => void; warn: (o: unknown, m?: string) => void } {
  const lines: string[] = [];
  const log = (o: unknown, m?: string): void => { lines.push(m ?? String(o)); };
  return { lines, info: log, warn: log };
}

/** A fake runner: `iptables` answers listCode, `iptables-restore` restoreCode; records the calls. */
function fake(listCode: number, restoreCode: number, calls: string[][] = []): Runner {
  return async (argv) => {
    calls.push(argv);
    const code = argv[0] === 'iptables' ? listCode : restoreCode;
    return { code, stdout: '', stderr: code ? `${argv[0]}: boom` : '' };
  };
}

describe('proxy mode detection', () => {
  it('a requested mode is used as is', async () => {
    const log = logger();
    expect(await detectProxyMode('userspace', log as never, fake(0, 0))).toBe('userspace');
    expect(await detectProxyMode('iptables', log as never, fake(1, 1))).toBe('iptables');
  });

  it('auto: not root, a failing iptables or unusable matches fall back to userspace, saying why', async () => {
    expect(await iptablesProblem(fake(0, 0), 1000)).toBe('not running as root');
    expect(await iptablesProblem(fake(1, 0), 0)).toMatch(/iptables -t nat -S failed: iptables: boom/);
    const calls: string[][] = [];
    expect(await iptablesProblem(fake(0, 2, calls), 0)).toMatch(/matches the rules need are not usable/);
    expect(calls.filter((c) => c[0] === 'iptables-restore')).toHaveLength(2); // the probe, then its removal
    const missing: Runner = async () => { throw new Error('spawn iptables ENOENT'); };
    expect(await iptablesProblem(missing, 0)).toMatch(/ENOENT/);
  });

  it('auto: picks iptables when everything works', async () => {
    const log = logger();
    if (process.getuid?.() === 0) expect(await detectProxyMode('auto', log as never, fake(0, 0))).toBe('iptables');
    expect(await iptablesProblem(fake(0, 0), 0)).toBeUndefined();
  });
});

describeIptables('proxy mode detection on a real kernel', () => {
  it('the probe chain works in a namespace and leaves nothing behind', async () => {
    const ns = `bramble-ipt-${randomBytes(3).toString('hex')}-m`;
    await sh(['ip', 'netns', 'add', ns]);
    try {
      const log = logger();
      expect(await detectProxyMode('auto', log as never, commandRunner(['ip', 'netns', 'exec', ns]))).toBe('iptables');
      expect(log.lines[0]).toMatch(/proxy mode iptables/);
      expect(await inNs(ns, ['iptables-save'])).not.toContain('BRAMBLE');
    } finally {
      await sh(['ip', 'netns', 'del', ns]);
    }
  });
});
