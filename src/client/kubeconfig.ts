// A standard kubeconfig (one cluster, one user, one context), so kubectl can use the same file later.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';

export interface KubeconfigWrite {
  server: string;
  token: string;
  clusterName?: string;
  userName?: string;
  namespace?: string;
  /** Base64 PEM of the cluster CA, once the master serves TLS. */
  certificateAuthorityData?: string;
}

export interface Kubeconfig {
  server: string;
  token: string | undefined;
  namespace: string | undefined;
  certificateAuthorityData: string | undefined;
  contextName: string;
}

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

export function writeKubeconfig(file: string, opts: KubeconfigWrite): void {
  const cluster = opts.clusterName ?? 'bramble';
  const user = opts.userName ?? 'admin';
  const context = `${user}@${cluster}`;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: opts.server, ...(opts.certificateAuthorityData ? { 'certificate-authority-data': opts.certificateAuthorityData } : {}) } }],
    users: [{ name: user, user: { token: opts.token } }],
    contexts: [{ name: context, context: { cluster, user, ...(opts.namespace ? { namespace: opts.namespace } : {}) } }],
    'current-context': context,
    preferences: {},
  };
  mkdirSync(path.dirname(file), { recursive: true });
  // The file holds the admin token: only its owner may read it, even if it already existed with looser rights.
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  chmodSync(file, 0o600);
}

function findNamed(list: unknown, name: string, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry = (list as Record<string, unknown>[]).find((e) => typeof e === 'object' && e !== null && e.name === name);
  const inner = entry?.[field];
  return typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : undefined;
}

export function loadKubeconfig(file: string): Kubeconfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KubeconfigError(`kubeconfig ${file} not found: start a master with "bramble master" (or "bramble up"), or pass --kubeconfig`);
    throw new KubeconfigError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeconfigError(`kubeconfig ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new KubeconfigError(`kubeconfig ${file} is not a kubeconfig (expected a mapping with clusters, users, contexts)`);
  const d = doc as Record<string, unknown>;
  const current = d['current-context'];
  if (typeof current !== 'string' || current === '') throw new KubeconfigError(`kubeconfig ${file} has no current-context`);
  const ctx = findNamed(d.contexts, current, 'context');
  if (!ctx) throw new KubeconfigError(`kubeconfig ${file}: context "${current}" not found`);
  const clusterName = String(ctx.cluster ?? '');
  const cluster = findNamed(d.clusters, clusterName, 'cluster');
  if (!cluster || typeof cluster.server !== 'string' || cluster.server === '') throw new KubeconfigError(`kubeconfig ${file}: cluster "${clusterName}" has no server`);
  const user = ctx.user === undefined ? undefined : findNamed(d.users, String(ctx.user), 'user');
  if (ctx.user !== undefined && !user) throw new KubeconfigError(`kubeconfig ${file}: user "${String(ctx.user)}" not found`);
  return {
    server: cluster.server,
    token: typeof user?.token === 'string' ? user.token : undefined,
    namespace: typeof ctx.namespace === 'string' && ctx.namespace !== '' ? ctx.namespace : undefined,
    certificateAuthorityData: typeof cluster['certificate-authority-data'] === 'string' ? cluster['certificate-authority-data'] : undefined,
    contextName: current,
  };
}

export interface PathInputs {
  flag?: string | undefined;
  env?: NodeJS.ProcessEnv;
  home?: string;
  cwd?: string;
  exists?: (p: string) => boolean;
}

/** `--kubeconfig`, else `$BRAMBLE_KUBECONFIG`, else `~/.bramble/kubeconfig.yaml`, else `./.bramble/kubeconfig.yaml` (the first that exists; the home one if neither does). */
export function resolveKubeconfigPath(inputs: PathInputs = {}): string {
  if (inputs.flag) return path.resolve(inputs.cwd ?? process.cwd(), inputs.flag);
  const env = inputs.env ?? process.env;
  if (env.BRAMBLE_KUBECONFIG) return path.resolve(inputs.cwd ?? process.cwd(), env.BRAMBLE_KUBECONFIG);
  const exists = inputs.exists ?? existsSync;
  const inHome = path.join(inputs.home ?? homedir(), '.bramble', 'kubeconfig.yaml');
  const inCwd = path.join(inputs.cwd ?? process.cwd(), '.bramble', 'kubeconfig.yaml');
  if (exists(inHome)) return inHome;
  if (exists(inCwd)) return inCwd;
  return inHome;
}
