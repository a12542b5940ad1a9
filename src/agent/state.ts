// Edge autonomy: the desired pods (with their ConfigMaps and Secrets) and the applied revision
// live in one small JSON file in the data dir, so after a reboot the agent runs its pods again
// before, and without, the master. Written atomically: temp file, fsync, rename, fsync dir.
// The file holds Secret data: it is created 0600 in a 0700 directory.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { PodBundle, ServiceBundle } from '../protocol/messages.js';

export interface AgentState {
  /** Highest desired-state revision applied (0: never synced). */
  appliedRevision: number;
  /** Desired pods keyed by uid. */
  pods: Map<string, PodBundle>;
  /** The Services the proxy serves and pods' env vars name, keyed `namespace/name`. */
  services: Map<string, ServiceBundle>;
  servicesRevision: number;
}

interface StateFileV1 {
  version: 1;
  appliedRevision: number;
  pods: PodBundle[];
  /** Absent in files written before services were pushed to nodes. */
  services?: ServiceBundle[];
  servicesRevision?: number;
}

export class StateFileError extends Error {
  constructor(message: string, readonly file: string, options?: ErrorOptions) {
    super(`${file}: ${message}`, options);
    this.name = 'StateFileError';
  }
}

export const stateFileName = 'agent-state.json';

export function emptyState(): AgentState {
  return { appliedRevision: 0, pods: new Map(), services: new Map(), servicesRevision: 0 };
}

/** Where an agent keeps its state: the file below, or memory for hollow agents. */
export interface AgentStateStore {
  load(): Promise<AgentState | undefined>;
  save(state: AgentState): Promise<void>;
}

/**
 * Hollow agents' state: their containers live in a FakeRuntime's memory and die with the
 * process, so a state file would outlive what it describes; and a thousand simulated nodes
 * writing files would take the disk and CPU the master under test needs.
 */
export class MemoryStateStore implements AgentStateStore {
  private state: AgentState | undefined;

  async load(): Promise<AgentState | undefined> {
    return this.state;
  }

  async save(state: AgentState): Promise<void> {
    this.state = { ...state, pods: new Map(state.pods), services: new Map(state.services) };
  }
}

export class StateStore implements AgentStateStore {
  readonly file: string;
  /** The write on disk now, and the one text waiting for it (newer saves replace that text). */
  private inFlight: Promise<void> | undefined;
  private queued: { text: string; done: Promise<void> } | undefined;
  /** What is on disk: an identical save (a resync that changed nothing) spares the SD card. */
  private lastText: string | undefined;
  /** The directory was made (or found) by this store: writes skip the mkdir. */
  private dirReady = false;

  constructor(readonly dir: string) {
    this.file = path.join(dir, stateFileName);
  }

  /** The saved state, or undefined when there is none yet (a fresh install). */
  async load(): Promise<AgentState | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateFileError(`cannot read: ${(err as Error).message}`, this.file, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      // Cannot happen through save() (rename is atomic); a hand-edited or disk-damaged file.
      throw new StateFileError(`not valid JSON (${(err as Error).message}); move it away to start empty`, this.file, { cause: err });
    }
    const f = parsed as Partial<StateFileV1>;
    if (f.version !== 1 || typeof f.appliedRevision !== 'number' || !Array.isArray(f.pods)) {
      throw new StateFileError('unknown format (expected {"version":1,"appliedRevision":N,"pods":[...]})', this.file);
    }
    const pods = new Map<string, PodBundle>();
    for (const b of f.pods) {
      const uid = b.pod.metadata.uid;
      if (uid) pods.set(uid, b);
    }
    const services = new Map<string, ServiceBundle>();
    for (const s of Array.isArray(f.services) ? f.services : []) services.set(`${s.namespace}/${s.name}`, s);
    this.lastText = text;
    return { appliedRevision: f.appliedRevision, pods, services, servicesRevision: f.servicesRevision ?? 0 };
  }

  /**
   * Saves are serialized; each write replaces the file in one rename. Saves made while a write
   * is on disk are coalesced: only the newest state is written after it (a burst of pod changes
   * costs two writes of the SD card, not one per change). The promise settles once a write
   * holding this state, or a newer one, is done.
   */
  save(state: AgentState): Promise<void> {
    const body: StateFileV1 = {
      version: 1, appliedRevision: state.appliedRevision, pods: [...state.pods.values()],
      services: [...state.services.values()], servicesRevision: state.servicesRevision,
    };
    const text = JSON.stringify(body);
    if (text === this.lastText) return this.queued?.done ?? this.inFlight ?? Promise.resolve();
    this.lastText = text;
    if (this.queued) {
      this.queued.text = text;
      return this.queued.done;
    }
    if (!this.inFlight) return this.begin(text);
    // A failed write must not poison the next one; each caller sees the failure of its own write.
    const queued: { text: string; done: Promise<void> } = { text, done: Promise.resolve() };
    queued.done = this.inFlight.catch(() => undefined).then(() => {
      this.queued = undefined;
      return this.begin(queued.text);
    });
    this.queued = queued;
    return queued.done;
  }

  private begin(text: string): Promise<void> {
    const p = this.write(text);
    this.inFlight = p;
    p.then(() => undefined, () => { if (this.lastText === text) this.lastText = undefined; })
      .finally(() => { if (this.inFlight === p) this.inFlight = undefined; });
    return p;
  }

  private async write(text: string): Promise<void> {
    // The directory is made once, not before every write (a save per pod change on an SD card);
    // should it vanish under the running agent, the write fails with ENOENT: make it again, retry once.
    if (!this.dirReady) await this.makeDir();
    try {
      await this.replace(text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw this.writeError(err);
      this.dirReady = false;
      await this.makeDir();
      try {
        await this.replace(text);
      } catch (again) {
        throw this.writeError(again);
      }
    }
  }

  private async makeDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.dirReady = true;
  }

  /** Temp file, fsync, rename, fsync dir; the temp file never stays behind. */
  private async replace(text: string): Promise<void> {
    const tmp = `${this.file}.tmp-${process.pid}`;
    try {
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.file);
      await syncDir(this.dir);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  private writeError(err: unknown): StateFileError {
    return new StateFileError(`cannot write: ${(err as Error).message}`, this.file, { cause: err });
  }
}

/** Make the rename itself durable (directory entry on disk). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await fh.close();
  }
}
