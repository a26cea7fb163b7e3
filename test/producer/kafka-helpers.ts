/** Small Kafka helpers shared by the producer's integration tests. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Kafka } from '../../lib/kafka/index.js';
import { readToEnd } from '../../lib/kafka/index.js';
import { projectRoot } from '../../stack/paths.js';

export async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function topicExists(kafka: Kafka, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const gone = topics.filter((t) => existing.has(t));
    if (gone.length > 0) await admin.deleteTopics({ topics: gone });
  } finally {
    await admin.disconnect();
  }
}

export interface Landed {
  partition: number;
  offset: number;
  key: string;
  value: Buffer;
}

/** Every record of a topic, per partition in offset order. */
export async function readTopic(kafka: Kafka, topic: string): Promise<Landed[]> {
  const out: Landed[] = [];
  await readToEnd(kafka, {
    topic,
    groupPrefix: 'producer-test-read',
    consumer: { maxWaitTimeInMs: 200, maxBytes: 50 * 1024 * 1024 },
    onBatch: (partition, messages) => {
      for (const m of messages)
        out.push({
          partition,
          offset: Number(m.offset),
          key: m.key?.toString() ?? '',
          value: m.value as Buffer,
        });
    },
  });
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI (`npm run build` first; `make test` does). */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot(), 'dist', 'cli', 'main.js'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 25,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // A broker that is starting (or a topic just created) may refuse for a moment: not yet.
    if (await Promise.resolve(check()).catch(() => false)) return true;
    await sleep(everyMs);
  }
  return false;
}
