// The store component: the contract, its errors and both implementations.
export * from './store.js';
export * from './errors.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export { LevelStore, type LevelStoreOptions, type LevelStoreStats } from './level.js';
