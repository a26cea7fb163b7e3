/**
 * Broker cleanup shared by the processors benchmark and the processors test fixture. It lives in
 * bench/lib because benchmarks must not import test code, while tests may import bench/lib.
 */
import type { Admin } from '../../lib/kafka/index.js';

/**
 * Deletes every topic and consumer group whose name starts with `prefix` (a run's unique base).
 * Failed deletes are ignored so that a teardown never hides the run's own result; a failed listing
 * still throws, as it means the broker is not reachable at all.
 */
export async function deletePrefixed(admin: Admin, prefix: string): Promise<void> {
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
  if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
}
