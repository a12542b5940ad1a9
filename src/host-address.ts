// The host's own LAN address, guessed from its network interfaces: the agent's InternalIP before
// it learns one, and the master's default advertised address. Shared by both sides like
// src/version.ts, so it imports no component.
import { networkInterfaces } from 'node:os';

export type Interfaces = NodeJS.Dict<{ family: string | number; internal: boolean; address: string }[]>;

/** The first non-internal IPv4 address (Node 18.0–18.3 gave `family` as the number 4), else 127.0.0.1. */
export function guessNodeIP(interfaces: Interfaces = networkInterfaces()): string {
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) if ((a.family === 'IPv4' || a.family === 4) && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
