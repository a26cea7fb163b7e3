/**
 * CPU time of processes from /proc (Linux): utime + stime of a process and of every descendant,
 * plus the times of children already reaped (cutime + cstime), so a server that forks workers
 * (Postgres backends) is charged for them too. A snapshot per process, the difference over a
 * window in CPU-seconds; cores = CPU-seconds ÷ wall seconds.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux almost everywhere). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(out.stdout?.trim());
    clockTicks = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

interface Stat {
  ppid: number;
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  const num = (field: number) => Number(fields[field - 3] ?? 0);
  return { ppid: num(4), ticks: num(14) + num(15) + num(16) + num(17) };
}

function allStats(): Map<number, Stat> {
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s) stats.set(Number(entry), s);
  }
  return stats;
}

/** CPU-seconds so far of each named process tree (a gone process counts 0). */
export function cpuSnapshot(pids: Map<string, number>): Map<string, number> {
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  const hz = ticksPerSecond();
  const out = new Map<string, number>();
  for (const [name, root] of pids) {
    let ticks = 0;
    const stack = [root];
    while (stack.length > 0) {
      const pid = stack.pop()!;
      ticks += stats.get(pid)?.ticks ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    out.set(name, ticks / hz);
  }
  return out;
}

/** CPU-seconds per process between two snapshots. */
export function cpuDelta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, v] of after) out.set(name, Math.max(0, v - (before.get(name) ?? v)));
  return out;
}

export function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** `name 0.123, name 0.045` for notes, largest first. */
export function describe(values: Map<string, number>, digits: number, unit = ''): string {
  return [...values]
    .sort((a, b) => b[1] - a[1])
    .map(([name, v]) => `${name} ${v.toFixed(digits)}${unit}`)
    .join(', ');
}
