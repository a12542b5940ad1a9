// How failed requests surface: a StatusError for anything the server answered, a ConnectionError otherwise.
import { isStatus, StatusError, StatusReasons, type Status, type StatusReason } from '../api/status.js';

/** An error the API server returned. It is a StatusError, so code written against the API's own errors works unchanged. */
export class ApiError extends StatusError {
  /** The HTTP status actually received (StatusError.code is derived from the reason). */
  readonly httpStatus: number;
  constructor(reason: StatusReason, message: string, httpStatus: number, details?: Status['details']) {
    super(reason, message, details);
    this.name = 'ApiError';
    this.httpStatus = httpStatus;
  }
}

/** The server could not be reached at all (refused, DNS, reset, TLS). */
export class ConnectionError extends Error {
  readonly server: string;
  constructor(server: string, cause: unknown) {
    super(`cannot reach the Bramble API server at ${server} (${describeCause(cause)}): is the master running?`);
    this.name = 'ConnectionError';
    this.server = server;
  }
}

function describeCause(err: unknown): string {
  // undici wraps the socket error: TypeError('fetch failed') with the real one in `cause`.
  const inner = err instanceof Error && err.cause !== undefined ? err.cause : err;
  if (inner instanceof Error) return inner.message;
  return String(inner);
}

function reasonForCode(code: number): StatusReason {
  const found = (Object.entries(StatusReasons) as [StatusReason, number][]).find(([, c]) => c === code);
  if (found) return found[0];
  return code >= 500 ? 'InternalError' : 'BadRequest';
}

/** Builds the error for a non-2xx response from its body: the Status the server sent, or one made up from the HTTP status. */
export function errorFromResponse(httpStatus: number, statusText: string, body: string): ApiError {
  let parsed: unknown;
  try { parsed = JSON.parse(body); } catch { parsed = undefined; }
  if (isStatus(parsed)) {
    // Servers other than Bramble's (or newer versions) may send reasons this client does not know.
    const reason = parsed.reason in StatusReasons ? parsed.reason : reasonForCode(httpStatus);
    return new ApiError(reason, parsed.message || `${httpStatus} ${statusText}`, httpStatus, parsed.details);
  }
  const snippet = body.trim().slice(0, 200);
  const message = `the server responded with ${httpStatus} ${statusText}${snippet ? `: ${snippet}` : ''}`;
  return new ApiError(reasonForCode(httpStatus), message, httpStatus);
}
