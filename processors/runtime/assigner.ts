/**
 * A partition assigner that gives every partition to one member (the first by member id) — for a
 * processor whose result is global (top SKUs over all stores) and so runs as one task. The other
 * members stay in the group as warm standbys and take over on the next rebalance.
 */
import type { PartitionAssigner } from '../../lib/kafka/index.js';
import { AssignerProtocol } from '../../lib/kafka/index.js';

export const SINGLE_TASK_ASSIGNER_NAME = 'RetailSingleTask';

export const singleTaskAssigner: PartitionAssigner = ({ cluster }) => ({
  name: SINGLE_TASK_ASSIGNER_NAME,
  version: 1,
  async assign({ members, topics }) {
    const sorted = [...members].map((m) => m.memberId).sort();
    const owner = sorted[0];
    const assignment: Record<string, number[]> = {};
    for (const topic of topics) {
      const meta = cluster.findTopicPartitionMetadata(topic);
      assignment[topic] = meta.map((p) => p.partitionId).sort((a, b) => a - b);
    }
    return sorted.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: memberId === owner ? assignment : {},
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: SINGLE_TASK_ASSIGNER_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
});
