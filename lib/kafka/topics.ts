/**
 * Topic creation on purpose: the broker has auto-creation off, so every process creates the topics
 * it needs (idempotently) before it uses them.
 */
import type { Admin } from 'kafkajs';
// ConfigResourceTypes is not a named export Node can see in kafkajs' CommonJS build.
import kafkajs from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtlError } from '../errors.js';
import type { TopicSpec } from '../contracts/topics.js';
import { FINAL_KAFKA_ERRORS, isRetriableKafkaError, kafkaErrorType, kafkaSecurityHint } from './errors.js';

/**
 * Create the topics that do not exist yet and wait until every partition of every topic has a
 * leader that answers offset requests; existing topics are left as they are. Returns the topics this call created.
 * A broker that has just started can accept CreateTopics and still answer metadata requests with
 * UNKNOWN_TOPIC_OR_PARTITION for a while (kafkajs' own waitForLeaders gives up then): such
 * answers, and a topic another process created a moment ago, are retried until `timeoutMs`.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[], timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const requested = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.topic));
      if (missing.length > 0) {
        for (const s of missing) requested.add(s.topic);
        await admin.createTopics({
          waitForLeaders: false,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.numPartitions,
            replicationFactor: 1,
            configEntries: Object.entries({
              ...(s.compacted ? { 'cleanup.policy': 'compact' } : {}),
              ...(s.configEntries ?? {}),
            }).map(([name, value]) => ({ name, value })),
          })),
        });
      }
      const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
      const leaderless = topics.filter(
        (t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0),
      );
      if (leaderless.length === 0) {
        // Leaders in the metadata are not yet leaders that serve: a new topic can still answer
        // ListOffsets with NOT_LEADER_FOR_PARTITION (CI: a producer reading its control topic).
        for (const s of specs) await admin.fetchTopicOffsets(s.topic);
        return specs.map((s) => s.topic).filter((t) => requested.has(t));
      }
      throw Object.assign(new Error(`no leader yet for ${leaderless.map((t) => t.name).join(', ')}`), {
        type: 'LEADER_NOT_AVAILABLE',
      });
    } catch (err) {
      const type = kafkaErrorType(err);
      // TOPIC_ALREADY_EXISTS: another process won the race; the next round sees the topic.
      if (type === 'TOPIC_ALREADY_EXISTS') continue;
      if ((type !== undefined && FINAL_KAFKA_ERRORS.has(type)) || Date.now() > deadline) {
        throw new EtlError(
          'KAFKA_ERROR',
          `could not create topics ${specs.map((s) => s.topic).join(', ')}: ${(err as Error).message}`,
          {
            retriable: isRetriableKafkaError(err),
            serverCode: type,
            hint: kafkaSecurityHint(err),
            cause: err,
          },
        );
      }
      await sleep(Math.min(100 * attempt, 1000));
    }
  }
}

/**
 * Create the topics a process uses (`own`: must succeed) and, where its principal may, the rest
 * of the pipeline's layout (`layout`). On a plaintext broker the first process lays out every
 * topic; on a secured one the admin does, and a principal without CREATE on a layout topic just
 * leaves it to the admin — its own topics still fail loudly when it may not create them.
 */
export async function ensureOwnTopics(
  admin: Admin,
  own: TopicSpec[],
  layout: TopicSpec[] = [],
  timeoutMs = 60_000,
): Promise<string[]> {
  const created = await ensureTopics(admin, own, timeoutMs);
  const rest = layout.filter((l) => !own.some((o) => o.topic === l.topic));
  if (rest.length === 0) return created;
  try {
    return [...created, ...(await ensureTopics(admin, rest, timeoutMs))];
  } catch (err) {
    if (kafkaErrorType(err) === 'TOPIC_AUTHORIZATION_FAILED') return created;
    throw err;
  }
}

/**
 * Set the whole configuration of existing topics (AlterConfigs replaces it: keys not given return
 * to the broker's defaults, so `entries` must be complete, cleanup policy included). For settings a
 * component owns and that an upgrade changes, e.g. the processors' changelog compaction.
 */
export async function setTopicConfig(
  admin: Admin,
  topics: string[],
  entries: Record<string, string>,
): Promise<void> {
  await admin.alterConfigs({
    validateOnly: false,
    resources: topics.map((name) => ({
      type: kafkajs.ConfigResourceTypes.TOPIC,
      name,
      configEntries: Object.entries(entries).map(([n, value]) => ({ name: n, value })),
    })),
  });
}

/**
 * Delete every topic and consumer group whose name starts with `prefix` (a throwaway pipeline's
 * own: benchmarks, chaos runs, tests). Best effort: what cannot be listed or deleted is left.
 */
export async function removePrefixed(admin: Admin, prefix: string): Promise<void> {
  const topics = (await admin.listTopics().catch(() => [])).filter((t) => t.startsWith(prefix));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  const groups = (await admin.listGroups().catch(() => ({ groups: [] }))).groups
    .map((g) => g.groupId)
    .filter((g) => g.startsWith(prefix));
  if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
}
