/** The owner index: a caller's tasks, newest first (ids are UUIDv7, so id order is creation order). Pure. */
export const OWNER_INDEX = { name: 'byOwner', partitionKey: 'owner', sortKey: 'id' } as const;
