// Loads only the parts of systeminformation the agent uses: called by bin/bramble.js's lean agent
// path before src/agent/status/sysinfo.ts imports it.
//
// systeminformation's lib/index.js eagerly requires all of its 22 modules (graphics, wifi, docker,
// printers, bluetooth with its vendor table, ...); the agent calls six functions from three of them
// (osinfo: osInfo, uuid; cpu: cpu, currentLoad, cpuTemperature; memory: mem). Measured with the
// agent's V8 flags: ~1 MB of RSS and 18 modules fewer, kept for the agent's whole life.
//
// As src/agent/runtime/no-ssh2.ts does, we put a stand-in for lib/index.js into the CommonJS
// require cache (the ESM loader uses that cache for CommonJS packages too). It is a Proxy: the six
// functions come from their own module; any other name loads the real index once (so nothing
// systeminformation offers is lost, it just costs what it did before).
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import path from 'node:path';

/** systeminformation function → the lib/ module that defines it (what the agent calls). */
export const leanParts: Readonly<Record<string, string>> = {
  osInfo: 'osinfo', uuid: 'osinfo', cpu: 'cpu', currentLoad: 'cpu', cpuTemperature: 'cpu', mem: 'memory',
};

/** Registers the stand-in unless systeminformation is already loaded (or missing); returns whether it did. */
export function keepSystemInformationLean(): boolean {
  const require = createRequire(import.meta.url);
  let index: string;
  try {
    index = require.resolve('systeminformation');
  } catch {
    return false;
  }
  const cache = require.cache;
  if (cache[index]) return false;
  const lib = path.dirname(index);
  // The names the real index exports (`exports.cpu = cpu.cpu;`): only those load it. Others, such as
  // `then` (looked up whenever the module object is returned from an async function), are undefined.
  const exported = new Set(Array.from(readFileSync(index, 'utf8').matchAll(/^exports\.(\w+)\s*=/gm), (m) => m[1]!));
  const stub = new Module(index);
  let full: Record<string, unknown> | undefined;
  const loadFull = (): Record<string, unknown> => {
    if (!full) {
      // The real index, under its own name for the moment it loads; its parts are the cached ones.
      Reflect.deleteProperty(cache, index);
      try {
        full = require(index) as Record<string, unknown>;
      } finally {
        cache[index] = stub;
      }
    }
    return full;
  };
  stub.filename = index;
  stub.loaded = true;
  stub.exports = new Proxy({}, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      const part = leanParts[name];
      if (part) return (require(path.join(lib, `${part}.js`)) as Record<string, unknown>)[name];
      return exported.has(name) ? loadFull()[name] : undefined;
    },
  });
  cache[index] = stub;
  return true;
}
