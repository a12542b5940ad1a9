// Container probes (liveness, readiness, startup): how one check runs (exec in the container,
// HTTP GET or TCP connect to the pod IP, which the node reaches over the bridge) and how results
// add up to a verdict with the thresholds. Scheduling is the pod manager's (on its clock).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Container, Probe } from '../../api/schemas.js';
import type { ContainerRuntime } from '../runtime/runtime.js';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeDefaults {
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export const kubeProbeDefaults: ProbeDefaults = { periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };

export interface ProbeTarget {
  containerId: string;
  podIP: string;
  container: Container;
}

export interface ProbeOutcome {
  ok: boolean;
  message?: string;
}

/** Runs one check. Replaceable (tests; hollow agents, whose pod IPs lead nowhere). */
export type Prober = (probe: Probe, target: ProbeTarget, timeoutMs: number) => Promise<ProbeOutcome>;

function resolvePort(port: number | string, c: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

function httpCheck(probe: NonNullable<Probe['httpGet']>, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolvePort(probe.port, target.container);
  if (port === undefined) return Promise.resolve({ ok: false, message: `no container port named "${String(probe.port)}"` });
  const lib = probe.scheme === 'HTTPS' ? https : http;
  const headers: Record<string, string> = { 'User-Agent': 'bramble-probe/1.0' };
  for (const h of probe.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise((resolve) => {
    const req = lib.request({
      host: probe.host ?? target.podIP, port, path: probe.path ?? '/', method: 'GET', headers, timeout: timeoutMs,
      rejectUnauthorized: false, // Kubernetes does not verify probe certificates either
    }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on('error', (err) => resolve({ ok: false, message: `Get "http://${probe.host ?? target.podIP}:${port}${probe.path ?? '/'}": ${err.message}` }));
    req.end();
  });
}

function tcpCheck(probe: NonNullable<Probe['tcpSocket']>, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolvePort(probe.port, target.container);
  if (port === undefined) return Promise.resolve({ ok: false, message: `no container port named "${String(probe.port)}"` });
  return new Promise((resolve) => {
    const host = probe.host ?? target.podIP;
    const sock = net.connect({ host, port, timeout: timeoutMs });
    sock.once('connect', () => { sock.destroy(); resolve({ ok: true }); });
    sock.once('timeout', () => { sock.destroy(); resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }); });
    sock.once('error', (err) => resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}

export function defaultProber(runtime: ContainerRuntime): Prober {
  return async (probe, target, timeoutMs) => {
    if (probe.exec) {
      const r = await runtime.exec(target.containerId, probe.exec.command ?? [], timeoutMs);
      return r.exitCode === 0 ? { ok: true } : { ok: false, message: `command exited with ${r.exitCode}: ${r.output.slice(0, 200)}` };
    }
    if (probe.httpGet) return httpCheck(probe.httpGet, target, timeoutMs);
    if (probe.tcpSocket) return tcpCheck(probe.tcpSocket, target, timeoutMs);
    return { ok: false, message: 'probe has no handler Bramble supports (exec, httpGet, tcpSocket)' };
  };
}

/** Running tally of one probe on one container instance. */
export interface ProbeTally {
  kind: ProbeKind;
  probe: Probe;
  nextAt: number;
  successes: number;
  failures: number;
  /** undefined until the thresholds decide. */
  verdict: boolean | undefined;
  inFlight: boolean;
  lastMessage?: string;
}

export function newTally(kind: ProbeKind, probe: Probe, startedAt: number): ProbeTally {
  return { kind, probe, nextAt: startedAt + (probe.initialDelaySeconds ?? 0) * 1000, successes: 0, failures: 0, verdict: undefined, inFlight: false };
}

/** Fold one outcome into the tally; returns whether the verdict changed. */
export function record(t: ProbeTally, o: ProbeOutcome, now: number, d: ProbeDefaults): boolean {
  const period = (t.probe.periodSeconds || d.periodSeconds) * 1000;
  t.nextAt = now + period;
  t.lastMessage = o.message;
  const before = t.verdict;
  if (o.ok) {
    t.successes++;
    t.failures = 0;
    if (t.successes >= (t.probe.successThreshold || d.successThreshold)) t.verdict = true;
  } else {
    t.failures++;
    t.successes = 0;
    if (t.failures >= (t.probe.failureThreshold || d.failureThreshold)) t.verdict = false;
  }
  return before !== t.verdict;
}
