// The master's advertised LAN address: where LoadBalancer Services are served on the gateway
// (`bramble master --advertise-address`). Default: the bind address when it is a real one,
// else the first non-internal IPv4 address of the host.
import { networkInterfaces } from 'node:os';

type Interfaces = NodeJS.Dict<{ family: string | number; internal: boolean; address: string }[]>;

export function advertiseAddress(explicit: string | undefined, bind: string | undefined, interfaces: Interfaces = networkInterfaces()): string {
  if (explicit) return explicit;
  if (bind && bind !== '0.0.0.0' && bind !== '::' && !/^127\./.test(bind) && bind !== '::1' && bind !== 'localhost') return bind;
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) if ((a.family === 'IPv4' || a.family === 4) && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
