/**
 * Topic layouts (`retail-etl backup`): at backup time — partitions, replication factor and the settings that differ from
 * the broker's defaults (retention, compaction, …) — and, at restore, the creation of the topics a
 * cluster lacks with that layout. Topics that exist are left alone (a partition count can only grow,
 * and growing it moves keys): a difference is reported, never applied.
 */
import type { Admin } from 'kafkajs';
// ConfigResourceTypes is not a named export Node can see in kafkajs' CommonJS build.
import kafkajs from 'kafkajs';
import { kafkaError } from './errors.js';
import { ensureTopics } from './topics.js';

export interface TopicLayout {
  topic: string;
  partitions: number;
  replicationFactor: number;
  /** Settings set on the topic itself (not the broker's defaults). */
  configs: Record<string, string>;
}

/** The layout of `only` (default: every topic but the broker's internal `__*` ones). */
export async function describeTopics(admin: Admin, only: readonly string[] = []): Promise<TopicLayout[]> {
  try {
    const names = only.length > 0 ? [...only] : (await admin.listTopics()).filter((t) => !t.startsWith('__'));
    if (names.length === 0) return [];
    names.sort();
    const meta = await admin.fetchTopicMetadata({ topics: names });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name })),
    });
    const own = new Map<string, Record<string, string>>();
    for (const r of configs.resources) {
      const entries: Record<string, string> = {};
      for (const e of r.configEntries)
        if (!e.isDefault && e.configSource === 1 /* TOPIC_CONFIG */ && !e.isSensitive)
          entries[e.configName] = e.configValue;
      own.set(r.resourceName, entries);
    }
    return meta.topics
      .map((t) => ({
        topic: t.name,
        partitions: t.partitions.length,
        replicationFactor: t.partitions[0]?.replicas.length ?? 1,
        configs: own.get(t.name) ?? {},
      }))
      .sort((a, b) => a.topic.localeCompare(b.topic));
  } catch (err) {
    throw kafkaError('could not describe the topics', err);
  }
}

export interface TopicsRestored {
  created: string[];
  present: string[];
  /** Existing topics whose partition count differs from the archived one. */
  differing: { topic: string; archived: number; now: number }[];
}

/** Create the archived topics the cluster lacks, with their partitions and settings. */
export async function recreateTopics(admin: Admin, layouts: readonly TopicLayout[]): Promise<TopicsRestored> {
  try {
    const existing = new Set(await admin.listTopics());
    const created = await ensureTopics(
      admin,
      layouts
        .filter((l) => !existing.has(l.topic))
        .map((l) => ({ topic: l.topic, numPartitions: l.partitions, configEntries: l.configs })),
    );
    const present = layouts.filter((l) => existing.has(l.topic));
    const differing: TopicsRestored['differing'] = [];
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((l) => l.topic) });
      for (const t of meta.topics) {
        const archived = present.find((l) => l.topic === t.name)?.partitions;
        if (archived !== undefined && archived !== t.partitions.length)
          differing.push({ topic: t.name, archived, now: t.partitions.length });
      }
    }
    return { created, present: present.map((l) => l.topic), differing };
  } catch (err) {
    throw kafkaError('could not recreate the topics', err);
  }
}
