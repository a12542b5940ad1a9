// What every client command needs first: a client for the cluster in the kubeconfig, and the namespace to work in.
import { ApiClient } from '../client/client.js';
import { loadKubeconfig, resolveKubeconfigPath } from '../client/kubeconfig.js';

export interface GlobalOptions {
  kubeconfig?: string;
  namespace?: string;
}

export interface Connection {
  client: ApiClient;
  /** `-n`, else the kubeconfig context's namespace, else `default`. */
  namespace: string;
  /** Whether `-n` was given (apply refuses to silently override a manifest's namespace with it). */
  namespaceExplicit: boolean;
}

export function connect(g: GlobalOptions): Connection {
  const file = resolveKubeconfigPath({ flag: g.kubeconfig });
  const kc = loadKubeconfig(file);
  return {
    client: new ApiClient({ server: kc.server, token: kc.token }),
    namespace: g.namespace ?? kc.namespace ?? 'default',
    namespaceExplicit: g.namespace !== undefined,
  };
}

/** An AbortSignal that fires on Ctrl-C / SIGTERM, so long-running commands (watch) end cleanly with exit 0. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose: () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); },
  };
}
