// The control plane on the gateway: store + API server (the broker, node gateway, scheduler
// and controllers join here as they land). `bramble master` and `bramble up` start it.
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApiServer } from '../apiserver/server.js';
import { openStore } from '../apiserver/storage.js';
import { createLogger, type Logger } from '../log/logger.js';
import { loadKubeconfig, writeKubeconfig } from '../client/kubeconfig.js';
import { brambleVersion } from '../version.js';

export interface MasterOptions {
  dataDir: string;
  bind?: string;
  apiPort?: number;
  mqttPort?: number;
  logger?: Logger;
}

export interface RunningMaster {
  apiUrl: string;
  kubeconfigPath: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startMaster(opts: MasterOptions): Promise<RunningMaster> {
  const log = opts.logger ?? createLogger({ name: 'bramble-master' });
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const store = openStore({ kind: 'level', path: path.join(dataDir, 'store') }, log);
  await store.start();
  const api = new ApiServer({ store, logger: log.child({ component: 'apiserver' }), version: brambleVersion });
  let apiUrl: string;
  try {
    apiUrl = await api.start({ host: opts.bind ?? '127.0.0.1', port: opts.apiPort ?? 6443 });
  } catch (err) {
    await store.stop();
    throw err;
  }
  const kubeconfigPath = path.join(dataDir, 'kubeconfig.yaml');
  await ensureAdminKubeconfig(api, kubeconfigPath, apiUrl, log);

  let stopping: Promise<void> | undefined;
  return {
    apiUrl,
    kubeconfigPath,
    dataDir,
    stop: () => {
      stopping ??= (async () => {
        log.info('master stopping');
        await api.stop();
        await store.stop();
        log.info('master stopped');
      })();
      return stopping;
    },
  };
}

/**
 * The admin credential lives only in the kubeconfig: reuse the token there if it still
 * works (pointing it at the current URL), else mint a new admin token and write a new file.
 */
async function ensureAdminKubeconfig(api: ApiServer, file: string, server: string, log: Logger): Promise<void> {
  if (existsSync(file)) {
    try {
      const kc = await loadKubeconfig(file);
      if (kc.token && api.tokens.authenticate(kc.token)?.roles.includes('admin')) {
        if (kc.server !== server) await writeKubeconfig(file, { server, token: kc.token });
        return;
      }
    } catch (err) {
      log.warn({ err, file }, 'existing kubeconfig unreadable; writing a new one');
    }
  }
  const token = await api.tokens.create({ user: 'admin', roles: ['admin'], description: 'made at first start for the kubeconfig' });
  await writeKubeconfig(file, { server, token });
  log.info({ file }, 'admin kubeconfig written');
}
