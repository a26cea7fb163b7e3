import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../lib/logger.js';
import type { ResumePlan } from '../../../../sinks/core/contract.js';
import { PartitionPositions } from '../../../../sinks/core/loop/positions.js';
import type { PositionSource } from '../../../../sinks/core/loop/positions.js';

const logger = createLogger('test', { write: () => undefined });

function source(plans: Record<string, ResumePlan>, committed: Record<string, number> = {}) {
  const seeks: string[] = [];
  const resumes: string[] = [];
  const s: PositionSource = {
    committed: (t, p) => Promise.resolve(committed[`${t}/${p}`]),
    resume: (t, p, c) => {
      resumes.push(`${t}/${p}@${c ?? '-'}`);
      return Promise.resolve(plans[`${t}/${p}`] ?? { next: undefined, cuts: [] });
    },
    seek: (t, p, o) => seeks.push(`${t}/${p}->${o}`),
    settled: () => Promise.resolve(),
  };
  return { s, seeks, resumes };
}

describe('PartitionPositions (assignment and resume)', () => {
  it('asks the sink once per topic-partition and seeks to its stored position', async () => {
    const { s, seeks, resumes } = source({ 'a/0': { next: 42, cuts: [] } }, { 'a/0': 40 });
    const pos = new PartitionPositions(s, logger);
    pos.nextGeneration();
    const [x, y] = await Promise.all([pos.get('a', 0), pos.get('a', 0)]);
    expect(x).toBe(y);
    expect(x).toMatchObject({ next: 42, cuts: [], checked: false, generation: 1 });
    expect(resumes).toEqual(['a/0@40']);
    expect(seeks).toEqual(['a/0->42']);
  });

  it('falls back to the committed offset, and to "unknown" (-1, already checked) without either', async () => {
    const { s, seeks } = source({}, { 'a/1': 7 });
    const pos = new PartitionPositions(s, logger);
    expect(await pos.get('a', 1)).toMatchObject({ next: 7, checked: false });
    expect(await pos.get('a', 2)).toMatchObject({ next: -1, checked: true });
    expect(seeks).toEqual(['a/1->7']);
  });

  it('a new assignment forgets loaded positions and loads only the assigned topics', async () => {
    const { s, resumes } = source({ 'a/0': { next: 5, cuts: [9] } });
    const pos = new PartitionPositions(s, logger);
    pos.nextGeneration();
    pos.assign({ a: [0], other: [3] }, ['a'], () => false);
    const first = await pos.get('a', 0);
    expect(pos.current('a', 0)).toBe(first);
    expect(pos.pinned()).toEqual(new Set(['a\u00000']));
    pos.nextGeneration();
    expect(pos.isCurrent(first)).toBe(false);
    expect(pos.current('a', 0)).toBeUndefined();
    pos.assign({ a: [0] }, ['a'], () => false);
    const second = await pos.get('a', 0);
    expect(second).not.toBe(first);
    expect(pos.isCurrent(second)).toBe(true);
    expect(resumes).toEqual(['a/0@-', 'a/0@-']);
  });

  it('does not seek for a position loaded by an older generation', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { s, seeks } = source({ 'a/0': { next: 3, cuts: [] } });
    const pos = new PartitionPositions({ ...s, settled: () => gate }, logger);
    const loading = pos.get('a', 0);
    pos.nextGeneration();
    release();
    expect(pos.isCurrent(await loading)).toBe(false);
    expect(seeks).toEqual([]);
  });

  it('forget makes the next get ask the sink again (fenced partition)', async () => {
    const { s, resumes } = source({ 'a/0': { next: 1, cuts: [] } });
    const pos = new PartitionPositions(s, logger);
    await pos.get('a', 0);
    pos.forget('a', 0);
    await pos.get('a', 0);
    expect(resumes).toHaveLength(2);
  });
});
