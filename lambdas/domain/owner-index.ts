/**
 * The owner index: a caller's tasks, newest first (ids are UUIDv7, so id order is creation order).
 * It projects what a listing shows and filters on (`REPRESENTATION_ATTRIBUTES`). Pure.
 */
export const OWNER_INDEX = { name: 'tasksByOwner', partitionKey: 'owner', sortKey: 'id' } as const;

/**
 * The owner index of 0.2.0, which projected fewer attributes. CloudFormation cannot change an
 * index's projection, so the owner index has a new name; a 0.2.0 table keeps this one for one
 * deploy (`legacyOwnerIndex`) while the new one is built.
 */
export const LEGACY_OWNER_INDEX = {
  name: 'byOwner',
  projected: ['type', 'status', 'progress', 'createdAt', 'updatedAt', 'startedAt', 'completedAt', 'ttl', 'error', 'callbackUrl', 'callback'],
} as const;
