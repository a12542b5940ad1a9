// Tests that program the kernel (iptables, network namespaces) need root and the iptables tool.
// Like describeDocker: without them, skip loudly on a developer machine; under CI=true run and
// fail, so a missing capability cannot pass as green.
import { spawnSync } from 'node:child_process';
import { beforeEach, describe } from 'vitest';

function iptablesProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  const ipt = spawnSync('iptables', ['-V'], { encoding: 'utf8' });
  if (ipt.status !== 0) return 'iptables is not installed';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ip.status !== 0) return '`ip netns` does not work (iproute2)';
  return undefined;
}

const problem = iptablesProblem();

/** describe() for tests that need root, iptables and network namespaces. */
export function describeIptables(name: string, fn: () => void): void {
  if (!problem || process.env.CI === 'true') {
    describe(name, () => {
      beforeEach(() => {
        if (problem) throw new Error(`${problem} (CI=true: iptables tests must run)`);
      });
      fn();
    });
    return;
  }
  console.warn(`⚠ ${problem}: skipping the iptables tests "${name}"; run as root with iptables and iproute2 installed`);
  describe.skip(name, fn);
}
