import { describe, expect, it } from 'vitest';
import { MidWriteFault, faultsFromEnv } from '../../../sinks/core/faults.js';

describe('MidWriteFault (the one mid-write point of every target)', () => {
  const recorder = (killAt: number | undefined) => {
    const kills: string[] = [];
    return { kills, fault: new MidWriteFault(killAt, (reason) => kills.push(reason)) };
  };

  it('fires once, at the first piece of data of the Nth write that carries rows', () => {
    const { kills, fault } = recorder(2);
    fault.begin(10)(); // write 1
    expect(kills).toEqual([]);
    fault.begin(0)(); // no rows: not counted
    const sent = fault.begin(5); // write 2
    expect(kills).toEqual([]);
    sent();
    sent();
    expect(kills).toEqual(['in the middle of write 2']);
    fault.begin(5)();
    expect(kills).toHaveLength(1);
  });

  it('never fires when unset', () => {
    const { kills, fault } = recorder(undefined);
    for (let i = 0; i < 5; i++) fault.begin(1)();
    expect(kills).toEqual([]);
  });

  it('reads both faults from the environment; empty means unset', () => {
    expect(
      faultsFromEnv({ RETAIL_ETL_FAULT_KILL_MID_WRITE: '3', RETAIL_ETL_FAULT_KILL_AFTER_WRITES: '' }),
    ).toEqual({ killMidWrite: 3, killAfterWrites: undefined });
  });
});
