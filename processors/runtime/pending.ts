/**
 * What a task has processed but not committed yet, and when it must be committed. Transactions are
 * sized by time and volume, not by fetch: a task commits `intervalMs` after its first uncommitted
 * record, or at once when `maxRecords` input records or `maxBytes` input bytes are uncommitted.
 * Nothing pending, no transaction. Updates of the same key (hourly's open windows, and every
 * changelog key) within one transaction are written once, with the latest value. The input position (`next`) is only handed to the transaction
 * (`sendOffsets`) together with the outputs and state it produced, so a crash between two commits
 * replays from the last commit and the in-memory state is rebuilt from the changelog.
 */
import type { Message } from '../../lib/kafka/index.js';
import type { ChangelogEntry } from './task.js';
import type { OutRecord } from './types.js';

export interface CommitPolicy {
  intervalMs: number;
  maxRecords: number;
  maxBytes: number;
}

export class PendingCommit {
  outputs: OutRecord[] = [];
  /** topic + key of upsert outputs → their index in `outputs` */
  private readonly upserts = new Map<string, number>();
  late: Message[] = [];
  dead: Message[] = [];
  changelog: ChangelogEntry[] = [];
  private readonly changelogKeys = new Map<string, number>();
  /** Input offset to commit (next to read), once something was consumed. */
  next: number | undefined;
  records = 0;
  bytes = 0;
  /** Wall-clock ms of the first uncommitted change (undefined when empty). */
  since: number | undefined;

  constructor(private readonly policy: CommitPolicy) {}

  isEmpty(): boolean {
    return this.since === undefined;
  }

  /** Record a processed batch (or an idle flush) that must reach Kafka. */
  add(
    part: {
      outputs?: OutRecord[];
      late?: Message[];
      dead?: Message[];
      changelog?: ChangelogEntry[];
      next?: number;
      records?: number;
      bytes?: number;
    },
    now: number,
  ): void {
    if (part.outputs) for (const o of part.outputs) this.addOutput(o);
    if (part.late) for (const m of part.late) this.late.push(m);
    if (part.dead) for (const m of part.dead) this.dead.push(m);
    if (part.changelog) for (const c of part.changelog) this.addChangelog(c);
    if (part.next !== undefined) this.next = part.next;
    this.records += part.records ?? 0;
    this.bytes += part.bytes ?? 0;
    this.since ??= now;
  }

  /** The changelog is read latest-per-key: a later entry for a key replaces the earlier one. */
  private addChangelog(c: ChangelogEntry): void {
    const at = this.changelogKeys.get(c.key);
    if (at === undefined) {
      this.changelogKeys.set(c.key, this.changelog.length);
      this.changelog.push(c);
    } else this.changelog[at] = c;
  }

  private addOutput(o: OutRecord): void {
    if (!o.upsert) {
      this.outputs.push(o);
      return;
    }
    const id = `${o.topic}\u0000${o.key}`;
    const at = this.upserts.get(id);
    if (at === undefined) {
      this.upserts.set(id, this.outputs.length);
      this.outputs.push(o);
    } else this.outputs[at] = o;
  }

  /** Volume bound reached: commit now, before reading more. */
  full(): boolean {
    return this.records >= this.policy.maxRecords || this.bytes >= this.policy.maxBytes;
  }

  /** Milliseconds until the interval is up (0 = due now; undefined = nothing pending). */
  dueIn(now: number): number | undefined {
    if (this.since === undefined) return undefined;
    return Math.max(0, this.since + this.policy.intervalMs - now);
  }
}
