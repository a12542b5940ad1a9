// An in-process API server (real HTTP, memory store) with the real ControllerManager running the
// named controllers through the in-process client, as the master runs them.
import { LocalApiClient } from '../../src/apiserver/local-client.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { silentLogger } from '../../src/log/logger.js';
import { startHarness, type Harness } from '../apiserver/harness.js';

export interface ClusterHarness extends Harness {
  manager: ControllerManager;
  /** The JSON body of a GET, or undefined on 404 (for polling). */
  getBody(path: string): Promise<any>;
}

export async function startWithControllers(only: string[]): Promise<ClusterHarness> {
  const h = await startHarness();
  const manager = new ControllerManager({ api: new LocalApiClient(h.server.resources, h.store), logger: silentLogger(), only });
  await manager.start();
  const getBody = async (path: string): Promise<any> => {
    const r = await h.call('GET', path);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return {
    ...h, manager, getBody,
    stop: async () => { await manager.stop(); await h.stop(); },
  };
}
