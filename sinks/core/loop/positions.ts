/**
 * Assignment and resume: the sink's durable state is the truth. On every assignment (a new
 * generation) every buffered position is forgotten; each assigned topic-partition asks the sink
 * where it resumes (ResumePlan, with the group's committed offset in Kafka as a hint) and the
 * consumer seeks there. A position loaded for an older generation is never used.
 */
import type { Logger } from '../../../lib/logger.js';
import { tpKey } from '../batch-buffer.js';
import type { PartitionCursor } from '../batch-buffer.js';
import type { ResumePlan } from '../contract.js';

export interface PartitionState extends PartitionCursor {
  generation: number;
  /** The first fetched record was checked against the position (seek back at most once). */
  checked: boolean;
}

export interface PositionSource {
  /** The consumer group's committed offset in Kafka; undefined when it has none. */
  committed(topic: string, partition: number): Promise<number | undefined>;
  /** Where the sink resumes (the caller retries retriable failures). */
  resume(topic: string, partition: number, committed: number | undefined): Promise<ResumePlan>;
  seek(topic: string, partition: number, offset: number): void;
  /** Resolves when no flush is moving stored positions any more. */
  settled(): Promise<void>;
}

export class PartitionPositions {
  private gen = 0;
  private readonly states = new Map<string, Promise<PartitionState>>();
  /** The same states once loaded, for synchronous reads (pinned partitions, filtered fetches). */
  private readonly loaded = new Map<string, PartitionState>();

  constructor(
    private readonly source: PositionSource,
    private readonly logger: Logger,
  ) {}

  get generation(): number {
    return this.gen;
  }

  /** A group join: positions of older generations stop counting. */
  nextGeneration(): number {
    return ++this.gen;
  }

  isCurrent(state: PartitionState): boolean {
    return state.generation === this.gen;
  }

  /** Forget every position and start loading those of `assignment` (restricted to `topics`). */
  assign(assignment: Record<string, number[]>, topics: readonly string[], stopping: () => boolean): void {
    this.states.clear();
    this.loaded.clear();
    for (const topic of topics) {
      for (const p of assignment[topic] ?? []) {
        this.get(topic, p).catch((err: unknown) => {
          if (!stopping())
            this.logger.warn('could not load the stored position', { topic, partition: p, err });
        });
      }
    }
  }

  /** The topic-partition's position for the current generation, read from the sink once. */
  get(topic: string, partition: number): Promise<PartitionState> {
    const k = tpKey(topic, partition);
    let state = this.states.get(k);
    if (!state) {
      state = this.load(topic, partition);
      this.states.set(k, state);
      state.then(
        (s) => {
          if (this.states.get(k) === state) this.loaded.set(k, s);
        },
        () => this.states.delete(k),
      );
    }
    return state;
  }

  /** The loaded position of the current generation, if any (synchronous). */
  current(topic: string, partition: number): PartitionState | undefined {
    const s = this.loaded.get(tpKey(topic, partition));
    return s && this.isCurrent(s) ? s : undefined;
  }

  /** Forget one position (fenced): the next fetch of it loads it again. */
  forget(topic: string, partition: number): void {
    this.states.delete(tpKey(topic, partition));
    this.loaded.delete(tpKey(topic, partition));
  }

  /** Topic-partitions with a forced cut still ahead (their open segment must not be cut early). */
  pinned(): Set<string> {
    const out = new Set<string>();
    for (const [k, s] of this.loaded) if (s.cuts.length > 0) out.add(k);
    return out;
  }

  private async load(topic: string, partition: number): Promise<PartitionState> {
    const generation = this.gen;
    // A flush in flight may be moving this partition's stored position right now.
    await this.source.settled();
    const committed = await this.source.committed(topic, partition);
    const plan = await this.source.resume(topic, partition, committed);
    const next = plan.next ?? committed;
    if (next !== undefined && generation === this.gen) this.source.seek(topic, partition, next);
    this.logger.info('partition position', { topic, partition, next, committed, cuts: plan.cuts.length });
    return { next: next ?? -1, cuts: [...plan.cuts], generation, checked: next === undefined };
  }
}
