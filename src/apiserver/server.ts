// The API server: Kubernetes-shaped REST over fastify, the only component that opens the store.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { StatusError } from '../api/status.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { authorize, TokenAuthenticator, type RequestAttributes, type UserInfo } from './auth.js';
import { ApiMetrics } from './metrics.js';
import { ServiceAccountTokens } from './sa-tokens.js';
import { ResourceService, systemNamespaces } from './resources.js';
import { defaultWatchLimits, type HttpWatch, type WatchLimits } from './watch.js';
import { registerResourceRoutes } from './routes.js';
import { registerDiscoveryRoutes } from './discovery.js';
import { parseRequestBody } from './body.js';
import type { PodLogSource } from '../client/api.js';
import { registerTokenRoutes } from './tokens-routes.js';
import { registerLogRoutes } from './logs-routes.js';
import { registerBindingRoutes } from './binding-routes.js';
import { ServiceAllocator, type ServiceRanges } from './service-alloc.js';

export interface ApiServerOptions {
  store: Store;
  logger: Logger;
  /** Serve without authentication (in-process tests only). */
  anonymous?: boolean;
  bodyLimitBytes?: number;
  watchLimits?: Partial<WatchLimits>;
  version?: string;
  processMetrics?: boolean;
  /** Where `GET .../pods/{name}/log` reads from (the node gateway); without one it answers 503. */
  podLogs?: PodLogSource;
  /** Where ClusterIPs, NodePorts and userspace proxy ports are drawn from. */
  serviceRanges?: Partial<ServiceRanges>;
}

export interface ListenOptions {
  host: string;
  port: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: UserInfo;
    attrs?: RequestAttributes;
    /** Watches are long-lived; they are left out of the latency histogram. */
    isWatch?: boolean;
  }
}

const anonymousPaths = new Set(['/healthz', '/readyz', '/livez', '/version']);

export class ApiServer {
  readonly resources: ResourceService;
  readonly tokens: TokenAuthenticator;
  readonly serviceAllocator: ServiceAllocator;
  readonly serviceAccountTokens: ServiceAccountTokens;
  readonly metrics: ApiMetrics;
  readonly watchLimits: WatchLimits;
  readonly watches = new Set<HttpWatch>();
  readonly version: string;
  /** Settable after construction: the node gateway needs this server's registry to be built first. */
  podLogs: PodLogSource | undefined;
  private app: FastifyInstance | undefined;
  private ready = false;
  private address: string | undefined;

  constructor(private readonly opts: ApiServerOptions) {
    this.serviceAllocator = new ServiceAllocator(opts.store, opts.logger.child({ component: 'service-alloc' }), opts.serviceRanges);
    this.resources = new ResourceService(opts.store, opts.logger.child({ component: 'registry' }), this.serviceAllocator);
    this.tokens = new TokenAuthenticator(opts.store, opts.logger.child({ component: 'auth' }));
    this.serviceAccountTokens = new ServiceAccountTokens(opts.store, opts.logger.child({ component: 'auth' }));
    this.metrics = new ApiMetrics(opts.store, { processMetrics: opts.processMetrics ?? true });
    this.watchLimits = { ...defaultWatchLimits, ...opts.watchLimits };
    this.version = opts.version ?? '0.1.0';
    this.podLogs = opts.podLogs;
  }

  get store(): Store {
    return this.opts.store;
  }

  get log(): Logger {
    return this.opts.logger;
  }

  /** The URL clients use, once listening. */
  get url(): string {
    if (this.address === undefined) throw new Error('the API server is not listening');
    return this.address;
  }

  /** Build the HTTP app (also usable with `inject` in tests, without listening). */
  async build(): Promise<FastifyInstance> {
    await this.tokens.start();
    await this.serviceAccountTokens.start();
    await this.serviceAllocator.start();
    // The system namespaces exist from the first start (emptying deleted ones is the namespace controller's job).
    for (const ns of systemNamespaces) await this.resources.ensureNamespace(ns);
    const app = Fastify({ logger: false, bodyLimit: this.opts.bodyLimitBytes ?? 3 * 1024 * 1024, forceCloseConnections: true, return503OnClosing: true });
    this.app = app;
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
      try {
        done(null, parseRequestBody(body as string, req.headers['content-type'] ?? 'application/json'));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
    app.setErrorHandler((err, req, reply) => this.sendError(err, req, reply));
    app.setNotFoundHandler((req, reply) => {
      void this.sendError(new StatusError('NotFound', `the server could not find the requested resource (${req.method} ${req.url.split('?')[0]})`), req, reply);
    });
    app.addHook('onRequest', async (req) => this.authenticate(req));
    app.addHook('onResponse', async (req, reply) => this.record(req, reply));

    app.get('/healthz', async () => 'ok');
    app.get('/livez', async () => 'ok');
    app.get('/readyz', async (_req, reply) => (this.ready ? 'ok' : reply.code(503).send('not ready')));
    app.get('/version', async () => ({ major: '0', minor: '1', gitVersion: `v${this.version}`, platform: `${process.platform}/${process.arch}`, goVersion: '', nodeVersion: process.version, bramble: this.version }));
    app.get('/metrics', async (req, reply) => {
      this.check(req, { verb: 'get', resource: 'metrics' });
      return reply.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
    });
    registerDiscoveryRoutes(app);
    registerTokenRoutes(app, this);
    registerLogRoutes(app, this);
    registerBindingRoutes(app, this);
    registerResourceRoutes(app, this);
    await app.ready();
    this.ready = true;
    return app;
  }

  async start(listen: ListenOptions): Promise<string> {
    const app = await this.build();
    await app.listen({ host: listen.host, port: listen.port });
    const a = app.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.address = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${a.port}`;
    this.opts.logger.info({ url: this.address }, 'API server listening');
    return this.address;
  }

  async stop(): Promise<void> {
    this.ready = false;
    for (const w of [...this.watches]) w.close();
    this.tokens.stop();
    this.serviceAccountTokens.stop();
    this.serviceAllocator.stop();
    await this.app?.close();
    this.app = undefined;
  }

  /** Throws Forbidden unless the request's user may do this. */
  check(req: FastifyRequest, attrs: RequestAttributes): void {
    req.attrs = attrs;
    if (this.opts.anonymous) return;
    const user = req.user;
    if (!user) throw new StatusError('Unauthorized', 'Unauthorized');
    if (!authorize(user, attrs)) {
      const what = attrs.resource === 'metrics' ? 'path "/metrics"' : `resource "${attrs.resource}${attrs.subresource ? `/${attrs.subresource}` : ''}"`;
      const where = attrs.namespace ? ` in the namespace "${attrs.namespace}"` : '';
      throw new StatusError('Forbidden', `${attrs.name ? `${attrs.resource} "${attrs.name}" is forbidden` : 'forbidden'}: User "${user.name}" cannot ${attrs.verb} ${what}${where}`, { kind: attrs.resource, ...(attrs.name ? { name: attrs.name } : {}) });
    }
  }

  private async authenticate(req: FastifyRequest): Promise<void> {
    if (this.opts.anonymous) {
      req.user = { name: 'anonymous-admin', roles: ['admin'] };
      return;
    }
    const path = req.url.split('?')[0] ?? '';
    const header = req.headers.authorization;
    if (header === undefined) {
      if (anonymousPaths.has(path)) return;
      throw new StatusError('Unauthorized', 'Unauthorized: a bearer token is required (Authorization: Bearer TOKEN)');
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const user = m ? (this.tokens.authenticate(m[1]!) ?? this.serviceAccountTokens.authenticate(m[1]!)) : undefined;
    if (!user) throw new StatusError('Unauthorized', 'Unauthorized: the bearer token is invalid, expired or revoked');
    req.user = user;
  }

  private record(req: FastifyRequest, reply: FastifyReply): void {
    const verb = req.attrs?.verb ?? req.method.toLowerCase();
    const resource = req.attrs ? `${req.attrs.resource}${req.attrs.subresource ? `/${req.attrs.subresource}` : ''}` : 'other';
    this.metrics.requests.inc({ verb, resource, code: String(reply.statusCode) });
    if (!req.isWatch) this.metrics.latency.observe({ verb, resource }, reply.elapsedTime / 1000);
  }

  private sendError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const status = toStatusError(err);
    if (status.code >= 500) this.opts.logger.error({ err, method: req.method, url: req.url }, 'request failed');
    return reply.code(status.code).type('application/json').send(status.toStatus());
  }
}

/** Anything thrown while serving a request, as a Status error. */
export function toStatusError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new StatusError('RequestEntityTooLarge', `the request body is too large: ${e.message ?? ''}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new StatusError('UnsupportedMediaType', e.message ?? 'unsupported media type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return new StatusError('BadRequest', 'the request body is empty');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return new StatusError('BadRequest', 'the Content-Length does not match the body');
    default: break;
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return new StatusError('BadRequest', e.message ?? 'bad request');
  return new StatusError('InternalError', `internal error: ${e.message ?? String(err)}`);
}
