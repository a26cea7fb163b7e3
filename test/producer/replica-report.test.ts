import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.js';
import type { ControlRecord } from '../../lib/contracts/control.js';
import type { ReplicaView } from '../../producer/replica-report.js';
import { ReplicaReporter } from '../../producer/replica-report.js';

function setup(view: ReplicaView, publish?: (r: ControlRecord | null) => Promise<void>) {
  const published: (ControlRecord | null)[] = [];
  const warnings: string[] = [];
  const reporter = new ReplicaReporter({
    replicaId: 'r1',
    maxRate: 1000,
    startedAt: new Date('2024-05-17T09:00:00Z'),
    view: () => view,
    publish:
      publish ??
      (async (r) => {
        published.push(r);
      }),
    log: createLogger('test', { write: (line) => warnings.push(line) }),
    host: 'h',
    pid: 42,
    now: () => new Date('2024-05-17T09:00:05Z'),
  });
  return { reporter, published, warnings };
}

const view: ReplicaView = { rate: 100, paused: false, actualRate: 99.96, events: 500, lastChange: undefined };

describe('ReplicaReporter', () => {
  it('reports the replica’s state, rounding the actual rate to one decimal', async () => {
    const { reporter, published } = setup(view);
    await reporter.send();
    expect(published).toEqual([
      {
        v: 1,
        kind: 'replica',
        replica: 'r1',
        host: 'h',
        pid: 42,
        state: 'running',
        rate: 100,
        paused: false,
        cap: 1000,
        actualRate: 100,
        events: 500,
        startedAt: '2024-05-17T09:00:00.000Z',
        at: '2024-05-17T09:00:05.000Z',
      },
    ]);
  });

  it('says paused when paused, stopped when asked, and carries the last change', () => {
    const { reporter } = setup({ ...view, paused: true, lastChange: 'paused by ops' });
    expect(reporter.report()).toMatchObject({ state: 'paused', lastChange: 'paused by ops' });
    expect(reporter.report('stopped').state).toBe('stopped');
  });

  it('writes a tombstone on remove', async () => {
    const { reporter, published } = setup(view);
    await reporter.remove();
    expect(published).toEqual([null]);
  });

  it('logs, never throws, when the report cannot be written', async () => {
    const { reporter, warnings } = setup(view, () => Promise.reject(new Error('broker down')));
    await reporter.send();
    await reporter.remove();
    expect(warnings.join('\n')).toMatch(/could not write the replica report/);
  });
});
