/**
 * Consumer lag of every group whose id starts with a prefix, from the broker alone: committed
 * offsets (what each group has durably processed) against the topics' end offsets. Groups are
 * discovered by listing, so a pipeline whose processors change how many groups they use is
 * measured without change here. A group's lag is summed over its topics and partitions.
 */
import type { Admin } from '../../lib/kafka/index.js';

export interface GroupLag {
  /** Records behind, summed over the group's partitions. */
  records: number;
  /** Partitions the group has committed offsets for (transaction markers leave up to one each). */
  partitions: number;
}

export async function groupLags(admin: Admin, prefix: string): Promise<Map<string, GroupLag>> {
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
  const ends = new Map<string, Map<number, number>>();
  const endsOf = async (topic: string) => {
    let m = ends.get(topic);
    if (!m) {
      m = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
      ends.set(topic, m);
    }
    return m;
  };
  const out = new Map<string, GroupLag>();
  for (const groupId of groups.sort()) {
    const topics = await admin.fetchOffsets({ groupId });
    let records = 0;
    let partitions = 0;
    for (const t of topics) {
      const end = await endsOf(t.topic);
      for (const p of t.partitions) {
        const committed = Number(p.offset);
        if (committed < 0) continue;
        partitions++;
        records += Math.max(0, (end.get(p.partition) ?? committed) - committed);
      }
    }
    out.set(groupId, { records, partitions });
  }
  return out;
}

export interface LagSample {
  /** Seconds since the start of the series. */
  t: number;
  records: number;
}

/** Least-squares slope of lag over time, records per second. */
export function slope(samples: LagSample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mt = samples.reduce((a, s) => a + s.t, 0) / n;
  const mr = samples.reduce((a, s) => a + s.records, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - mt) * (s.records - mr);
    den += (s.t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export interface Growth {
  /** Steepest slope of any full window, records/s. */
  slope: number;
  /** Lag at the end of that window. */
  records: number;
  /** True when some window both climbed faster than `minSlope` and ended further behind than `minRecords`. */
  grows: boolean;
}

/**
 * Does the lag grow for `windowS` seconds? Every window of that length is fitted; one that rises
 * faster than `minSlope` records/s and ends more than `minRecords` behind counts. Both bounds
 * keep a consumer that commits in batches (lag saw-toothing between zero and a batch) from
 * counting as falling behind.
 */
export function lagGrowth(
  samples: LagSample[],
  windowS: number,
  minSlope: number,
  minRecords: number,
): Growth {
  let worst: Growth = { slope: 0, records: samples.at(-1)?.records ?? 0, grows: false };
  for (let i = 0; i < samples.length; i++) {
    const start = samples[i]!;
    // The window runs to the first sample at least `windowS` later: sampling slows down when the
    // broker is busy, so a window may span a little more than `windowS`, never less.
    const end = samples.findIndex((s, j) => j > i && s.t - start.t >= windowS);
    if (end < 0) break;
    const window = samples.slice(i, end + 1);
    const last = window.at(-1)!;
    const k = slope(window);
    const grows = k > minSlope && last.records > minRecords;
    if (grows || (!worst.grows && k > worst.slope)) worst = { slope: k, records: last.records, grows };
    if (grows) break;
  }
  return worst;
}
