/** The budget of request bytes in flight. */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { bodyReservation, ByteBudget } from '../../../lib/http/budget.js';

describe('ByteBudget', () => {
  it('refuses what does not fit and takes back what is released', () => {
    const b = new ByteBudget(100);
    expect(b.tryReserve(60)).toBe(true);
    expect(b.tryReserve(60)).toBe(false);
    expect(b.tryReserve(40)).toBe(true);
    b.release(60);
    expect(b.inFlight).toBe(40);
    expect(b.tryReserve(60)).toBe(true);
    expect(b.tryReserve(0)).toBe(true);
  });

  it('reserves the declared length (capped above the body limit), the limit when chunked, else nothing', () => {
    const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
    expect(bodyReservation(req({ 'content-length': '500' }), 1000)).toBe(500);
    expect(bodyReservation(req({ 'content-length': '5000' }), 1000)).toBe(1001);
    expect(bodyReservation(req({ 'transfer-encoding': 'chunked' }), 1000)).toBe(1000);
    expect(bodyReservation(req({}), 1000)).toBe(0);
  });
});
