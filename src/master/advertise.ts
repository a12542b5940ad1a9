// The master's advertised LAN address: where LoadBalancer Services are served on the gateway
// (`bramble master --advertise-address`). Default: the bind address when it is a real one,
// else the first non-internal IPv4 address of the host (guessNodeIP, as the agent guesses its own).
import { guessNodeIP, type Interfaces } from '../host-address.js';

/** A bind address naming one interface of the LAN (not every address, not loopback). */
function isLanAddress(bind: string | undefined): bind is string {
  return bind !== undefined && bind !== '' && bind !== '0.0.0.0' && bind !== '::' && !/^127\./.test(bind) && bind !== '::1' && bind !== 'localhost';
}

/**
 * Where the gateway's userspace proxy serves NodePorts: the address the user named (the
 * advertised one, or a LAN bind address), or undefined for every address.
 */
export function pinnedAddress(explicit: string | undefined, bind: string | undefined): string | undefined {
  return explicit ?? (isLanAddress(bind) ? bind : undefined);
}

/** `interfaces` defaults to the host's (src/host-address.ts, the agent's InternalIP guess too). */
export function advertiseAddress(explicit: string | undefined, bind: string | undefined, interfaces?: Interfaces): string {
  if (explicit) return explicit;
  if (isLanAddress(bind)) return bind;
  return guessNodeIP(interfaces);
}
