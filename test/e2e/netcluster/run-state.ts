// Everything a NetCluster run creates on the machine, named after its run id, and the one
// teardown that removes it — used by NetCluster.stop(), by the exit hooks of a dying test
// process, and by the sweeper that clears what crashed runs left behind.
//
// A run's state lives in /run/bramble-nc/<id>/ (tmpfs: gone after a reboot, like the
// namespaces it describes): `owner` ("PID STARTTIME" of the test process), `tmpdir` (the run's
// data dir), `procs/<role>` (each child process), and `<worker>/` (the worker dockerd's
// exec root, socket and pid file). Names on the machine:
//   network namespaces    bramble-nc-<id>-hub, bramble-nc-<id>-gw (the master), bramble-nc-<id>-<worker>
//   containerd namespaces bramble-nc-<id>-<worker>, bramble-nc-<id>-<worker>-plugins
//   host link             brnc<id> (the test process's end of the link, in the host namespace)
//   data dir              $TMPDIR/bramble-nc-<id>/
//   subnet claim          /run/bramble-nc/subnet-<a.b.c> (holds the run id)
// Nothing else is touched: the host's Docker containers, images and iptables rules, other
// containerd namespaces and other runs' objects are never looked at beyond their names.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { identityAlive, pidOf, processIdentity, runSync, sleepSync } from './sys.js';

export const stateRoot = process.env.BRAMBLE_NETCLUSTER_STATE ?? '/run/bramble-nc';
export const namePrefix = 'bramble-nc';
export const linkPrefix = 'brnc';
export const containerdSocket = process.env.BRAMBLE_CONTAINERD_SOCKET ?? '/run/containerd/containerd.sock';
const idPattern = /^[a-z0-9]{6}$/;

export const names = {
  hubNs: (id: string) => `${namePrefix}-${id}-hub`,
  gatewayNs: (id: string) => `${namePrefix}-${id}-gw`,
  workerNs: (id: string, worker: string) => `${namePrefix}-${id}-${worker}`,
  containerdNs: (id: string, worker: string) => `${namePrefix}-${id}-${worker}`,
  hostLink: (id: string) => `${linkPrefix}${id}`,
  stateDir: (id: string) => path.join(stateRoot, id),
  execRoot: (id: string, worker: string) => path.join(stateRoot, id, worker),
  dockerSocket: (id: string, worker: string) => path.join(stateRoot, id, worker, 'docker.sock'),
  defaultTmpDir: (id: string) => path.join(os.tmpdir(), `${namePrefix}-${id}`),
};

export function newRunId(): string {
  let id = '';
  while (id.length < 6) id += Math.floor(Math.random() * 36).toString(36);
  return id;
}

/** Create the run's state dir, owned by this process (atomically: a sweeper never sees it without an owner). */
export function claimRun(id: string, tmpDir: string): void {
  const dir = names.stateDir(id);
  const draft = path.join(stateRoot, `.new-${id}`);
  mkdirSync(path.join(draft, 'procs'), { recursive: true });
  writeFileSync(path.join(draft, 'owner'), processIdentity(process.pid));
  writeFileSync(path.join(draft, 'tmpdir'), tmpDir);
  renameSync(draft, dir);
}

export function recordProcess(id: string, role: string, pid: number): void {
  writeFileSync(path.join(names.stateDir(id), 'procs', role), processIdentity(pid));
}

export function runAlive(id: string): boolean {
  try {
    return identityAlive(readFileSync(path.join(names.stateDir(id), 'owner'), 'utf8'));
  } catch {
    return false;
  }
}

// ---- subnets --------------------------------------------------------------------------

const netBase = process.env.BRAMBLE_NETCLUSTER_NET ?? '10.213';

function toInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/** IPv4 prefixes this machine already uses (addresses and routes of the host namespace). */
function hostPrefixes(): { base: number; len: number }[] {
  const out: { base: number; len: number }[] = [];
  const text = runSync('ip', ['-4', '-o', 'addr', 'show']).stdout + '\n' + runSync('ip', ['-4', 'route', 'show', 'table', 'all']).stdout;
  for (const m of text.matchAll(/(?:^|\s)(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?(?=\s|$)/gm)) {
    const len = m[2] !== undefined ? Number(m[2]) : 32;
    if (len < 8) continue;
    out.push({ base: toInt(m[1]!), len });
  }
  return out;
}

function overlaps(a: { base: number; len: number }, b: { base: number; len: number }): boolean {
  const len = Math.min(a.len, b.len);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}

/** Claim a free /24 (`a.b.c`) under BRAMBLE_NETCLUSTER_NET (default 10.213): first 10.213.0, else the next free one. */
export function claimSubnet(id: string): string {
  const used = hostPrefixes();
  for (let n = 0; n < 256; n++) {
    const net = `${netBase}.${n}`;
    if (used.some((p) => overlaps(p, { base: toInt(`${net}.0`), len: 24 }))) continue;
    const claim = path.join(stateRoot, `subnet-${net}`);
    for (let attempt = 0; attempt < 2; attempt++) {
      // Written aside and renamed into place: a claim always names its run.
      const draft = path.join(stateRoot, `.claim-${id}`);
      mkdirSync(draft, { recursive: true });
      writeFileSync(path.join(draft, 'run'), id);
      try {
        renameSync(draft, claim);
        return net;
      } catch (err) {
        rmSync(draft, { recursive: true, force: true });
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
        let owner = '';
        try { owner = readFileSync(path.join(claim, 'run'), 'utf8').trim(); } catch { /* just removed */ }
        if (owner !== '' && runAlive(owner)) break;
        rmSync(claim, { recursive: true, force: true }); // a dead run's claim: take it
      }
    }
  }
  throw new Error(`no free /24 under ${netBase}.0.0/16 for the test network (set BRAMBLE_NETCLUSTER_NET=a.b to use another range)`);
}

// ---- teardown -------------------------------------------------------------------------

type Log = (msg: string) => void;

function listProcs(id: string): { role: string; identity: string }[] {
  const dir = path.join(names.stateDir(id), 'procs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((role) => ({ role, identity: readFileSync(path.join(dir, role), 'utf8') }));
}

function waitGone(identities: string[], ms: number): boolean {
  const deadline = Date.now() + ms;
  while (identities.some(identityAlive)) {
    if (Date.now() > deadline) return false;
    sleepSync(50);
  }
  return true;
}

function killAll(identities: string[], signal: NodeJS.Signals): void {
  for (const i of identities) {
    if (!identityAlive(i)) continue;
    try { process.kill(pidOf(i), signal); } catch { /* gone */ }
  }
}

/** Remove every container of a worker's dockerd (all of them are the run's), then stop it. */
function stopDockerd(id: string, worker: string, identity: string, log: Log): void {
  if (identityAlive(identity)) {
    const host = `unix://${names.dockerSocket(id, worker)}`;
    const ps = runSync('docker', ['-H', host, 'ps', '-aq'], { timeoutMs: 10_000 });
    const ids = ps.stdout.split('\n').filter(Boolean);
    if (ids.length > 0) {
      const rm = runSync('docker', ['-H', host, 'rm', '-f', ...ids], { timeoutMs: 30_000 });
      if (rm.code !== 0) log(`docker rm on ${worker}: ${rm.stderr.trim()}`);
    }
    killAll([identity], 'SIGTERM');
    if (!waitGone([identity], 15_000)) {
      log(`dockerd of ${worker} did not stop in 15 s: SIGKILL`);
      killAll([identity], 'SIGKILL');
      waitGone([identity], 3000);
    }
  }
}

/** Containers left in the run's containerd namespaces (a dockerd that died hard): kill, delete, drop the namespace. */
function cleanContainerd(id: string, log: Log): void {
  const a = ['--address', containerdSocket];
  const list = runSync('ctr', [...a, 'namespaces', 'ls', '-q'], { timeoutMs: 10_000 });
  if (list.code !== 0) return;
  for (const ns of list.stdout.split('\n').map((s) => s.trim()).filter((s) => s.startsWith(`${namePrefix}-${id}-`))) {
    const n = [...a, '-n', ns];
    const tasks = runSync('ctr', [...n, 'tasks', 'ls', '-q']).stdout.split('\n').filter(Boolean);
    for (const t of tasks) runSync('ctr', [...n, 'tasks', 'kill', '-a', '-s', 'SIGKILL', t]);
    if (tasks.length > 0) sleepSync(300);
    for (const t of tasks) runSync('ctr', [...n, 'tasks', 'delete', '-f', t]);
    for (const c of runSync('ctr', [...n, 'containers', 'ls', '-q']).stdout.split('\n').filter(Boolean)) runSync('ctr', [...n, 'containers', 'delete', c]);
    const rm = runSync('ctr', [...a, 'namespaces', 'remove', ns]);
    if (rm.code !== 0) log(`containerd namespace ${ns} not removed: ${rm.stderr.trim()}`);
  }
}

/** Unmount whatever is still mounted under the run's directories (deepest first). */
function unmountUnder(dirs: string[]): void {
  let info = '';
  try { info = readFileSync('/proc/self/mountinfo', 'utf8'); } catch { return; }
  const points = info.split('\n').map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' ')).filter((p) => dirs.some((d) => p === d || p.startsWith(`${d}/`)));
  for (const p of points.sort((x, y) => y.length - x.length)) runSync('umount', ['-l', p]);
}

/**
 * Remove everything run `id` made: its processes (agents and master killed, each worker's
 * containers removed through its own dockerd, then that dockerd stopped), leftover containerd
 * state of its namespaces, mounts, network namespaces, the host link, files and subnet claims.
 * Synchronous, so it can run from an exit hook; idempotent; never throws.
 */
export function teardownRun(id: string, log: Log = (m) => console.warn(`netcluster: ${m}`)): void {
  if (!idPattern.test(id)) return;
  const stateDir = names.stateDir(id);
  let tmpDir = names.defaultTmpDir(id);
  try { tmpDir = readFileSync(path.join(stateDir, 'tmpdir'), 'utf8').trim() || tmpDir; } catch { /* default */ }
  try {
    const procs = listProcs(id);
    // The master gets a chance to stop cleanly; like the agents, it lives in a namespace of
    // the run (its proxy's rules go with it).
    const master = procs.filter((p) => p.role === 'master').map((p) => p.identity);
    killAll(master, 'SIGTERM');
    if (!waitGone(master, 5000)) killAll(master, 'SIGKILL');
    const plain = procs.filter((p) => !p.role.startsWith('dockerd-')).map((p) => p.identity);
    killAll(plain, 'SIGKILL');
    waitGone(plain, 3000);
    for (const p of procs.filter((x) => x.role.startsWith('dockerd-'))) stopDockerd(id, p.role.slice('dockerd-'.length), p.identity, log);
    cleanContainerd(id, log);
    unmountUnder([stateDir, tmpDir]);
    const nsList = runSync('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`${namePrefix}-${id}-`));
    for (const ns of nsList) runSync('ip', ['netns', 'delete', ns]);
    // Deleting the hub namespace removes the link's peer, and with it the host end, but asynchronously.
    if (runSync('ip', ['link', 'show', names.hostLink(id)]).code === 0) runSync('ip', ['link', 'delete', names.hostLink(id)]);
    if (path.basename(tmpDir).startsWith(`${namePrefix}-${id}`)) rmSync(tmpDir, { recursive: true, force: true });
    if (existsSync(stateRoot)) {
      for (const e of readdirSync(stateRoot)) {
        if (!e.startsWith('subnet-')) continue;
        try {
          if (readFileSync(path.join(stateRoot, e, 'run'), 'utf8').trim() === id) rmSync(path.join(stateRoot, e), { recursive: true, force: true });
        } catch { /* not ours or gone */ }
      }
    }
    rmSync(stateDir, { recursive: true, force: true });
  } catch (err) {
    log(`teardown of run ${id} incomplete: ${String(err)}`);
  }
}

/** Every run id with something left on this machine (state, namespaces, links, containerd, data dirs). */
function leftoverIds(): Set<string> {
  const ids = new Set<string>();
  const add = (m: RegExpMatchArray | null): void => { if (m?.[1] && idPattern.test(m[1])) ids.add(m[1]); };
  if (existsSync(stateRoot)) for (const e of readdirSync(stateRoot)) if (idPattern.test(e)) ids.add(e);
  for (const l of runSync('ip', ['netns', 'list']).stdout.split('\n')) add(l.match(new RegExp(`^${namePrefix}-([a-z0-9]{6})-`)));
  for (const l of runSync('ip', ['-o', 'link', 'show']).stdout.split('\n')) add(l.match(new RegExp(`^\\d+: ${linkPrefix}([a-z0-9]{6})[@:]`)));
  for (const l of runSync('ctr', ['--address', containerdSocket, 'namespaces', 'ls', '-q'], { timeoutMs: 10_000 }).stdout.split('\n')) add(l.match(new RegExp(`^${namePrefix}-([a-z0-9]{6})-`)));
  try {
    for (const e of readdirSync(os.tmpdir())) add(e.match(new RegExp(`^${namePrefix}-([a-z0-9]{6})$`)));
  } catch { /* no tmpdir */ }
  return ids;
}

/** Tear down what earlier runs that are no longer alive left behind; returns their ids. */
export function sweepLeftovers(log?: Log): string[] {
  const swept: string[] = [];
  for (const id of leftoverIds()) {
    if (runAlive(id)) continue;
    teardownRun(id, log);
    swept.push(id);
  }
  if (existsSync(stateRoot)) {
    for (const e of readdirSync(stateRoot)) {
      // Drafts of a run's state dir (alive while its owner is) and of subnet claims (while the run is).
      const draft = e.match(/^\.(new|claim)-([a-z0-9]{6})$/);
      if (draft) {
        // Being written right now by a starting run: leave young drafts alone.
        let young = false;
        try { young = Date.now() - statSync(path.join(stateRoot, e)).mtimeMs < 60_000; } catch { continue; }
        if (!young && !runAlive(draft[2]!)) rmSync(path.join(stateRoot, e), { recursive: true, force: true });
        continue;
      }
      if (!e.startsWith('subnet-')) continue;
      let owner = '';
      try { owner = readFileSync(path.join(stateRoot, e, 'run'), 'utf8').trim(); } catch { /* empty claim */ }
      if (owner !== '' && !runAlive(owner)) rmSync(path.join(stateRoot, e), { recursive: true, force: true });
    }
  }
  return swept;
}
