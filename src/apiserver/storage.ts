// Which store backs the API server. Lives here because only the API server may open a store.
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { MemoryStore } from '../store/memory.js';
import { LevelStore } from '../store/level.js';

export type StoreConfig =
  | { kind: 'level'; path: string; historyLimit?: number }
  | { kind: 'memory'; historyLimit?: number };

export function openStore(cfg: StoreConfig, logger: Logger): Store {
  // The stores name themselves in their log records.
  const log = logger;
  if (cfg.kind === 'memory') return new MemoryStore({ logger: log, ...(cfg.historyLimit ? { historyLimit: cfg.historyLimit } : {}) });
  return new LevelStore({ path: path.resolve(cfg.path), logger: log, ...(cfg.historyLimit ? { historyLimit: cfg.historyLimit } : {}) });
}
