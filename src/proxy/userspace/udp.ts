// A UDP listener for one (address, port) of one service port. Each client (ip:port) is a flow:
// a socket connected to the endpoint chosen for it, so replies come back on that socket and are
// sent to the client from the service socket (the address it sent to). A flow closes after
// being idle for `idleMs`; at most `maxFlows` are open per listener (the oldest one is closed to
// make room), so a scan of source ports cannot exhaust file descriptors.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../../log/logger.js';
import type { ProxyEndpoint } from '../types.js';
import { clientAddress, type ServicePort } from './service.js';

export interface UdpOptions {
  idleMs: number;
  maxFlows: number;
  logger: Logger;
}

/** Datagrams a flow holds while its socket connects; more are dropped, as a full queue would. */
const maxPending = 64;

interface Flow {
  id: string;
  client: string;
  clientPort: number;
  ep: ProxyEndpoint;
  sock: dgram.Socket;
  connected: boolean;
  pending: Buffer[];
  timer: NodeJS.Timeout;
}

export class UdpListener {
  private readonly sock: dgram.Socket;
  private readonly flows = new Map<string, Flow>();

  constructor(readonly address: string, readonly port: number, public service: ServicePort, private readonly opts: UdpOptions) {
    this.sock = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4' });
    this.sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.sock.once('error', onError);
      this.sock.bind({ address: this.address, port: this.port, exclusive: true }, () => {
        this.sock.off('error', onError);
        this.sock.on('error', (err) => this.opts.logger.warn({ err, key: this.service.entry.key }, 'proxy UDP listener error'));
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const f of [...this.flows.values()]) this.closeFlow(f);
    return new Promise((resolve) => {
      try {
        this.sock.close(() => resolve());
      } catch {
        resolve(); // never bound (the bind failed): nothing to close
      }
    });
  }

  get flowCount(): number {
    return this.flows.size;
  }

  private onMessage(msg: Buffer, ip: string, port: number): void {
    const id = `${ip}|${port}`;
    let flow = this.flows.get(id);
    if (!flow) {
      flow = this.openFlow(id, clientAddress(ip), ip, port);
      if (!flow) return;
    }
    flow.timer.refresh();
    this.service.counters.bytesIn += msg.length;
    if (flow.connected) flow.sock.send(msg);
    else if (flow.pending.length < maxPending) flow.pending.push(msg);
  }

  private openFlow(id: string, client: string, ip: string, port: number): Flow | undefined {
    const svc = this.service;
    const ep = svc.balancer.order(client)[0];
    if (!ep) {
      svc.counters.failed++;
      return undefined;
    }
    if (this.flows.size >= this.opts.maxFlows) this.closeFlow(this.flows.values().next().value!);
    svc.counters.connections++;
    const sock = dgram.createSocket({ type: net.isIPv6(ep.ip) ? 'udp6' : 'udp4' });
    const flow: Flow = { id, client, clientPort: port, ep, sock, connected: false, pending: [], timer: setTimeout(() => this.closeFlow(flow), this.opts.idleMs) };
    flow.timer.unref();
    this.flows.set(id, flow);
    sock.on('message', (reply) => {
      flow.timer.refresh();
      svc.counters.bytesOut += reply.length;
      this.sock.send(reply, port, ip);
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      // ECONNREFUSED: the endpoint's host answered "port unreachable". Close the flow and drop
      // the client's affinity, so its next datagram opens a flow to another endpoint.
      this.opts.logger.debug({ key: svc.entry.key, endpoint: `${ep.ip}:${ep.port}`, err: err.code ?? err.message }, 'proxy UDP flow failed');
      svc.balancer.failed(client, ep);
      this.closeFlow(flow);
    });
    sock.connect(ep.port, ep.ip, () => {
      flow.connected = true;
      svc.balancer.connected(client, ep);
      for (const m of flow.pending) sock.send(m);
      flow.pending = [];
    });
    return flow;
  }

  private closeFlow(flow: Flow): void {
    if (this.flows.get(flow.id) !== flow) return; // closed already (idle timer and error both fired)
    clearTimeout(flow.timer);
    this.flows.delete(flow.id);
    this.service.balancer.ended(flow.client, flow.ep);
    try {
      flow.sock.close();
    } catch {
      // already closed
    }
  }
}
