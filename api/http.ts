/**
 * Small HTTP helpers for the API routes: JSON answers with the project's error shape
 * (`{error: CODE, message, retriable, …details}`) and a body reader that enforces a size limit
 * while the body streams in, so an oversized upload is refused without being buffered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../lib/errors.js';

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
 * Read the whole body, refusing it with 413 as soon as it is known to exceed `limit` bytes: at
 * once from Content-Length, or while streaming a chunked upload. The connection is closed after
 * a 413 so the rest of the upload is not read.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(
      413,
      'BODY_TOO_LARGE',
      `request body exceeds the limit of ${limit} bytes`,
      { limit },
      {
        connection: 'close',
      },
    );
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        req.off('data', onData);
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!done) resolve(Buffer.concat(chunks, size));
    });
    req.once('error', (err) => {
      if (!done) reject(err);
    });
  });
}
