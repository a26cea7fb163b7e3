import { describe, expect, it } from 'vitest';
import { waitOrThrow, waitUntil } from '../../stack/wait.js';

describe('waitUntil', () => {
  it('returns true as soon as the check holds, counting a throwing check as not yet', async () => {
    let calls = 0;
    const ok = await waitUntil(
      () => {
        calls++;
        if (calls < 3) throw new Error('starting');
        return calls >= 4;
      },
      { timeoutMs: 5000, intervalMs: 1 },
    );
    expect(ok).toBe(true);
    expect(calls).toBe(4);
  });

  it('returns false when the check never holds', async () => {
    expect(await waitUntil(async () => false, { timeoutMs: 20, intervalMs: 5 })).toBe(false);
  });

  it('waitOrThrow names what it waited for and the last error', async () => {
    await expect(
      waitOrThrow(
        'broker up',
        () => {
          throw new Error('ECONNREFUSED');
        },
        { timeoutMs: 10, intervalMs: 5 },
      ),
    ).rejects.toThrow('broker up: not reached within 10 ms; last error: ECONNREFUSED');
  });
});
