import { describe, expect, it } from 'vitest';
import type { Admin } from '../../../lib/kafka/index.js';
import { deletePrefixed } from '../../../bench/lib/kafka-cleanup.js';

function fakeAdmin(topics: string[], groups: string[], failDeletes = false) {
  const deleted = { topics: [] as string[], groups: [] as string[], calls: 0 };
  const admin = {
    listTopics: async () => topics,
    listGroups: async () => ({ groups: groups.map((groupId) => ({ groupId, protocolType: 'consumer' })) }),
    deleteTopics: async ({ topics: t }: { topics: string[] }) => {
      deleted.calls++;
      if (failDeletes) throw new Error('boom');
      deleted.topics.push(...t);
    },
    deleteGroups: async (g: string[]) => {
      deleted.calls++;
      if (failDeletes) throw new Error('boom');
      deleted.groups.push(...g);
      return [];
    },
  };
  return { admin: admin as unknown as Admin, deleted };
}

describe('deletePrefixed', () => {
  it('deletes only the topics and groups of the prefix', async () => {
    const { admin, deleted } = fakeAdmin(['run1.sales', 'other.sales', 'run1.top'], ['run1-g', 'other-g']);
    await deletePrefixed(admin, 'run1');
    expect(deleted.topics).toEqual(['run1.sales', 'run1.top']);
    expect(deleted.groups).toEqual(['run1-g']);
  });

  it('makes no delete call when nothing matches', async () => {
    const { admin, deleted } = fakeAdmin(['other.sales'], ['other-g']);
    await deletePrefixed(admin, 'run1');
    expect(deleted.calls).toBe(0);
  });

  it('ignores failed deletes', async () => {
    const { admin, deleted } = fakeAdmin(['run1.sales'], ['run1-g'], true);
    await expect(deletePrefixed(admin, 'run1')).resolves.toBeUndefined();
    expect(deleted.calls).toBe(2);
  });
});
