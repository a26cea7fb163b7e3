/**
 * JSON answers in the project's error shape (`{error: CODE, message, retriable, …details}`), shared
 * by every HTTP server (the API routes and lib/process-server.ts).
 */
import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
    readonly retriable = false,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(
    res,
    err.status,
    { error: err.code, message: err.message, retriable: err.retriable, ...err.details },
    err.headers,
  );
}

/**
 * End a response whatever state it is in: a JSON error when nothing was sent yet, else cut the
 * connection (a half-sent body must not look complete). Every error path ends here.
 */
export function failResponse(res: ServerResponse, err: HttpError): void {
  if (res.writableEnded) return;
  if (!res.headersSent) {
    try {
      sendError(res, err);
      return;
    } catch {
      /* headers half-written: fall through */
    }
  }
  res.destroy();
}
