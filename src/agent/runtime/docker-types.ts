// Narrow views of the Docker Engine API answers Bramble reads. @types/dockerode 4 lags the
// engine and dockerode 5 (e.g. NetworkSettings.Networks is typed loosely, IPAddress missing),
// so we describe only the fields we use, as the engine (API 1.41) sends them.
import { RuntimeUnavailableError } from './runtime.js';

export interface EnginePortEntry {
  HostIp: string;
  HostPort: string;
}

export type EnginePortMap = Record<string, EnginePortEntry[] | null>;

export interface EngineContainer {
  Id: string;
  Name: string;
  Created: string;
  /** The image id (sha256:...). */
  Image: string;
  Config: { Image: string; Labels: Record<string, string> | null; Tty: boolean };
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    OOMKilled: boolean;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
    Pid: number;
  };
  HostConfig: { Memory?: number; NanoCpus?: number; PortBindings?: EnginePortMap | null };
  NetworkSettings: {
    Ports: EnginePortMap | null;
    Networks: Record<string, { IPAddress: string }> | null;
  };
}

export interface EngineListEntry {
  Id: string;
  Labels: Record<string, string> | null;
  /** The same names as EngineContainer.State.Status ("running", "exited", ...). */
  State: string;
}

export interface EngineExecInspect {
  Running: boolean;
  ExitCode: number | null;
}

/** The fields of a dockerode/docker-modem error we look at. */
interface EngineError {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
}

function asEngineError(err: unknown): EngineError {
  return typeof err === 'object' && err !== null ? (err as EngineError) : {};
}

export function statusCode(err: unknown): number | undefined {
  return asEngineError(err).statusCode;
}

/** The engine's own message (docker-modem prefixes it with "(HTTP code 404) ..."). */
export function engineMessage(err: unknown): string {
  const e = asEngineError(err);
  return e.json?.message ?? e.message ?? String(err);
}

const unreachableCodes = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE']);

/** A socket-level failure: the engine is not installed, not running, or not ours to use. */
export function unavailableError(err: unknown, socketPath: string): RuntimeUnavailableError | undefined {
  const code = asEngineError(err).code;
  if (code === undefined || !unreachableCodes.has(code)) return undefined;
  if (code === 'EACCES') {
    return new RuntimeUnavailableError(
      `permission denied on the Docker socket ${socketPath}`,
      'run the agent as root, or add its user to the docker group (`usermod -aG docker <user>`, then log in again)',
    );
  }
  const why = code === 'ENOENT' ? 'does not exist (Docker is not installed or not running)' : `refused the connection (${code}: dockerd is not running)`;
  return new RuntimeUnavailableError(
    `Docker Engine socket ${socketPath} ${why}`,
    'on Debian / Raspberry Pi OS: `sudo apt-get install docker.io containerd runc` then `sudo systemctl enable --now docker`',
  );
}
