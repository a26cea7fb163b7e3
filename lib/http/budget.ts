import type { IncomingMessage } from 'node:http';

/**
 * The budget of request body bytes a server has in flight: a request reserves its declared
 * Content-Length (or its body limit when chunked) on arrival and gives it back when its response
 * ends. A request that does not fit is answered 429 at once, before its body is read, so a burst of
 * large uploads cannot exhaust memory.
 */
export class ByteBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.used;
  }

  tryReserve(bytes: number): boolean {
    if (bytes <= 0) return true;
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    if (bytes > 0) this.used = Math.max(0, this.used - bytes);
  }
}

/** What a request reserves: its declared length (capped just above the body limit), or the limit when chunked. */
export function bodyReservation(req: IncomingMessage, maxBodyBytes: number): number {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > 0) return Math.min(declared, maxBodyBytes + 1);
  return req.headers['transfer-encoding'] !== undefined ? maxBodyBytes : 0;
}
