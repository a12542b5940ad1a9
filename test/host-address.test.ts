import { describe, expect, it } from 'vitest';
import { guessNodeIP } from '../src/host-address.js';

describe('guessNodeIP', () => {
  const lo = [{ family: 'IPv4', internal: true, address: '127.0.0.1' }];
  it.each([
    ['the first non-internal IPv4', { lo, eth0: [{ family: 'IPv6', internal: false, address: 'fe80::1' }, { family: 'IPv4', internal: false, address: '192.168.1.10' }], wlan0: [{ family: 'IPv4', internal: false, address: '10.0.0.7' }] }, '192.168.1.10'],
    ['family as the number 4 (Node 18.0–18.3)', { lo, eth0: [{ family: 4, internal: false, address: '192.168.1.11' }] }, '192.168.1.11'],
    ['only IPv6 outside: loopback', { lo, eth0: [{ family: 'IPv6', internal: false, address: 'fe80::1' }] }, '127.0.0.1'],
    ['no interfaces: loopback', {}, '127.0.0.1'],
  ])('%s', (_what, ifs, want) => expect(guessNodeIP(ifs)).toBe(want));
  it("defaults to the host's interfaces", () => expect(guessNodeIP()).toMatch(/^\d+\.\d+\.\d+\.\d+$/));
});
