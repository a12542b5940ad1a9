// --proxy-mode auto|iptables|userspace → the backend to run. auto picks iptables when this
// process can program the packet filter with everything the rules use, else userspace, and
// says why in the log.
import type { Logger } from '../log/logger.js';
import { commandRunner, type Runner } from './iptables/runner.js';
import type { ProxyMode } from './types.js';

export type RequestedProxyMode = 'auto' | ProxyMode;

/** Minimal logger surface (the agent's lean logger and pino both have it). */
type ModeLogger = Pick<Logger, 'info' | 'warn'>;

/**
 * Why iptables mode cannot be used here, or undefined when it can: root, `iptables -t nat -S`
 * works, and a scratch chain with every match and target the rules use (comment, statistic,
 * recent, conntrack, connmark, addrtype, DNAT, MASQUERADE, REJECT) can be created and deleted.
 */
export async function iptablesProblem(run: Runner = commandRunner([], 10_000), uid = process.getuid?.()): Promise<string | undefined> {
  if (uid !== 0) return 'not running as root';
  const listed = await run(['iptables', '-w', '5', '-t', 'nat', '-S']).catch((err: Error) => ({ code: 127, stderr: err.message }));
  if (listed.code !== 0) return `iptables -t nat -S failed: ${listed.stderr.trim() || `exit ${listed.code}`}`;
  const chain = `BRAMBLE-PROBE-${process.pid % 100_000}`;
  const probe = [
    '*nat', `:${chain} - [0:0]`,
    `-A ${chain} -m comment --comment "bramble probe" -m statistic --mode random --probability 0.5 -m recent --name ${chain} --rcheck --seconds 1 --reap -j RETURN`,
    `-A ${chain} -m conntrack --ctstate NEW -m addrtype --dst-type LOCAL -j MARK --or-mark 0x4000`,
    `-A ${chain} -j CONNMARK --or-mark 0x4000`,
    `-A ${chain} -p tcp -m recent --name ${chain} --set -j DNAT --to-destination 127.0.0.1:1`,
    `-A ${chain} -j MASQUERADE --random-fully`,
    'COMMIT', '*filter', `:${chain} - [0:0]`,
    `-A ${chain} -m connmark --mark 0x4000/0x4000 -p tcp -j REJECT --reject-with tcp-reset`,
    'COMMIT', '',
  ].join('\n');
  const remove = `*nat\n:${chain} - [0:0]\n-X ${chain}\nCOMMIT\n*filter\n:${chain} - [0:0]\n-X ${chain}\nCOMMIT\n`;
  const created = await run(['iptables-restore', '-w', '5', '--noflush'], probe).catch((err: Error) => ({ code: 127, stderr: err.message }));
  // Always try to remove: a half-applied probe is impossible (one transaction), but be tidy.
  await run(['iptables-restore', '-w', '5', '--noflush'], remove).catch(() => undefined);
  if (created.code !== 0) return `the iptables matches the rules need are not usable: ${created.stderr.trim() || `exit ${created.code}`}`;
  return undefined;
}

export async function detectProxyMode(requested: RequestedProxyMode, logger: ModeLogger, run?: Runner): Promise<ProxyMode> {
  if (requested !== 'auto') {
    logger.info({ proxyMode: requested }, `proxy mode ${requested} (requested)`);
    return requested;
  }
  const problem = await iptablesProblem(run);
  if (problem === undefined) {
    logger.info({ proxyMode: 'iptables' }, 'proxy mode iptables (auto: root, and iptables has every match the rules need)');
    return 'iptables';
  }
  logger.info({ proxyMode: 'userspace', reason: problem }, `proxy mode userspace (auto: iptables not usable: ${problem})`);
  return 'userspace';
}
