/**
 * Small HTTP helpers for the API routes: JSON answers with the project's error shape
 * (`{error: CODE, message, retriable, …details}`) and a body reader that enforces a size limit
 * while the body streams in, so an oversized upload is refused without being buffered.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../lib/http/response.js';

export { HttpError, sendError, sendJson } from '../lib/http/response.js';

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
