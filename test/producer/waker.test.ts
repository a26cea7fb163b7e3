import { describe, expect, it } from 'vitest';
import { Waker } from '../../producer/waker.js';

describe('Waker', () => {
  it('a wake ends the sleep before its time', async () => {
    const waker = new Waker();
    let woke = false;
    const sleeping = waker.sleep(60_000).then(() => (woke = true));
    await Promise.resolve();
    expect(woke).toBe(false);
    waker.wake();
    await sleeping;
    expect(woke).toBe(true);
  });

  it('a sleep ends by itself, and a wake with nobody asleep does nothing', async () => {
    const waker = new Waker();
    waker.wake();
    await waker.sleep(1);
    waker.wake();
  });
});
