// `host:port` for listening addresses (--metrics-address). Its own module, importing nothing:
// the lean agent path's flag parser (src/cli/commands/agent-flags.ts) checks the flag with it
// without loading node:http with the metrics endpoint.

/** `host:port` or `[v6]:port` → its parts; undefined when it is neither. */
export function parseHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(address);
  const port = Number(m?.[3]);
  if (!m || port > 65535) return undefined;
  return { host: m[1] ?? m[2]!, port };
}
