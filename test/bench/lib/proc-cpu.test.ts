import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuDelta, cpuSnapshot, describe as describeCpu, sum } from '../../../bench/lib/proc-cpu.js';

describe('cpuSnapshot', () => {
  it('charges a process tree for a child it has already reaped', async () => {
    // The shell is idle; its child burns 0.3 CPU-seconds (by its own account) and exits, then
    // the shell says so and waits: the tree must show that CPU though the child is gone.
    const burn = 'while (process.cpuUsage().user < 300000);';
    const sh = spawn('sh', ['-c', `${process.execPath} -e "${burn}"; echo done; sleep 30`]);
    const pids = new Map([['tree', sh.pid!]]);
    const before = cpuSnapshot(pids);
    await new Promise((resolve) => sh.stdout.once('data', resolve));
    const used = cpuDelta(cpuSnapshot(pids), before).get('tree') ?? 0;
    sh.kill('SIGKILL');
    expect(used).toBeGreaterThanOrEqual(0.25);
    // A busy machine may take a while to give the child its CPU time: no speed is asserted.
  }, 60_000);

  it('counts a process that does not exist as zero', () => {
    expect(cpuSnapshot(new Map([['gone', 2 ** 22 + 12345]])).get('gone')).toBe(0);
  });
});

describe('helpers', () => {
  it('sums and describes largest first', () => {
    const m = new Map([
      ['a', 0.5],
      ['b', 1.25],
    ]);
    expect(sum(m.values())).toBe(1.75);
    expect(describeCpu(m, 2, ' s')).toBe('b 1.25 s, a 0.50 s');
  });
});
