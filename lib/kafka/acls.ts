/**
 * Kafka ACLs in the project's own words (what a principal may do on which resource) and their
 * creation through the one Kafka module. Allow rules only: the broker denies whatever is not
 * allowed (allow.everyone.if.no.acl.found=false).
 */
import type { Admin, AclEntry } from 'kafkajs';
import kafkajs from 'kafkajs';

// kafkajs is CommonJS and these enums are not among the names Node can import from it directly.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

export type AclResource = 'topic' | 'group' | 'transactional-id' | 'cluster';
export type AclOperation = 'read' | 'write' | 'create' | 'describe' | 'delete' | 'describe-configs';

export interface AclGrant {
  /** The principal's name: a SCRAM user, or a certificate's CN (the broker maps CN=x to User:x). */
  principal: string;
  resource: AclResource;
  /** A name, or a prefix when `prefixed`; the cluster resource is always `kafka-cluster`. */
  name: string;
  prefixed?: boolean;
  operations: readonly AclOperation[];
}

const RESOURCE: Record<AclResource, number> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  'transactional-id': AclResourceTypes.TRANSACTIONAL_ID,
  cluster: AclResourceTypes.CLUSTER,
};

const OPERATION: Record<AclOperation, number> = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  create: AclOperationTypes.CREATE,
  describe: AclOperationTypes.DESCRIBE,
  delete: AclOperationTypes.DELETE,
  'describe-configs': AclOperationTypes.DESCRIBE_CONFIGS,
};

/** kafkajs' entries for `grants`: one per operation, allowed from any host. */
export function aclEntries(grants: readonly AclGrant[]): AclEntry[] {
  return grants.flatMap((g) =>
    g.operations.map((op) => ({
      resourceType: RESOURCE[g.resource],
      resourceName: g.resource === 'cluster' ? 'kafka-cluster' : g.name,
      resourcePatternType: g.prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
      principal: `User:${g.principal}`,
      host: '*',
      operation: OPERATION[op],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
}

/** Create the ACLs (idempotent: an existing binding is left as it is). */
export async function createAcls(admin: Admin, grants: readonly AclGrant[]): Promise<void> {
  const acl = aclEntries(grants);
  if (acl.length > 0) await admin.createAcls({ acl });
}
