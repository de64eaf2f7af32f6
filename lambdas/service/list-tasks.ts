/**
 * list use case: the caller's tasks, newest first, with an opaque cursor, filtered by status, type,
 * metadata (`metadata.<key>=<value>`, repeatable) and creation time (`createdAfter`,
 * `createdBefore`), all ANDed. Creation time narrows the owner index's key range (ids sort by
 * creation time), so it costs nothing; the other filters are applied by DynamoDB to at most five
 * index pages per call, so a filtered listing stays bounded in reads (docs/api.md#listing).
 */
import { createHash } from 'node:crypto';
import { config } from '#config';
import { problems } from '#domain/errors';
import { isTaskId, lowestIdAt } from '#domain/ids';
import { isMetadataKey, METADATA_MAX_PAIRS, METADATA_MAX_VALUE_LENGTH } from '#domain/metadata';
import { isExpired } from '#domain/representation';
import { isTaskStatus, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, type TaskRecord, type TaskStatus } from '#domain/task';
import { queryByOwner } from '#store/task-store';

/** Query parameters, each with every value it was given. */
export type ListQuery = Record<string, string[] | undefined>;

interface Filters {
  status?: TaskStatus;
  type?: string;
  metadata: Array<[string, string]>;
  createdAfter?: number;
  createdBefore?: number;
}

interface Cursor {
  v: 1;
  after: string;
  /** The filters' fingerprint: a cursor only continues the listing it came from. */
  f?: string;
  /** Cursors issued before the other filters existed carry the status alone. */
  status?: TaskStatus;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function fingerprint(filters: Filters): string {
  const canonical = JSON.stringify([filters.status, filters.type, [...filters.metadata].sort(), filters.createdAfter, filters.createdBefore]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(raw: string, filters: Filters): Cursor {
  let cursor: Partial<Cursor>;
  try {
    cursor = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    throw problems.invalidCursor();
  }
  const sameListing =
    cursor?.f !== undefined
      ? cursor.f === fingerprint(filters)
      : cursor?.status === filters.status &&
        !filters.type &&
        filters.metadata.length === 0 &&
        filters.createdAfter === undefined &&
        filters.createdBefore === undefined;
  // A cursor only continues the listing it came from; anything else was tampered with.
  if (cursor?.v !== 1 || typeof cursor.after !== 'string' || !isTaskId(cursor.after) || !sameListing) throw problems.invalidCursor();
  return cursor as Cursor;
}

/** The one value of a parameter that may be given once. */
function single(query: ListQuery, name: string): string | undefined {
  const values = query[name];
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw problems.invalidParameter(name, 'may be given once');
  return values[0];
}

function timestamp(query: ListQuery, name: string): number | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!RFC3339.test(value) || Number.isNaN(ms)) throw problems.invalidParameter(name, 'must be an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z');
  return ms;
}

function parseFilters(query: ListQuery): Filters {
  const filters: Filters = { metadata: [] };
  const status = single(query, 'status');
  if (status !== undefined) {
    if (!isTaskStatus(status)) throw problems.invalidParameter('status', 'must be one of pending, running, succeeded, failed, cancelled');
    filters.status = status;
  }
  const type = single(query, 'type');
  if (type !== undefined) {
    if (!/^[\x21-\x7e]{1,256}$/.test(type)) throw problems.invalidParameter('type', 'must be a task type name');
    filters.type = type;
  }
  for (const [name, values] of Object.entries(query)) {
    if (!name.startsWith('metadata.')) continue;
    const key = name.slice('metadata.'.length);
    if (!isMetadataKey(key)) throw problems.invalidParameter(name, "the key must be 1 to 64 letters, digits, '_', '.' or '-'");
    for (const value of values ?? []) {
      if (value.length > METADATA_MAX_VALUE_LENGTH) throw problems.invalidParameter(name, `must be at most ${METADATA_MAX_VALUE_LENGTH} characters`);
      filters.metadata.push([key, value]);
    }
  }
  if (filters.metadata.length > METADATA_MAX_PAIRS) throw problems.invalidParameter('metadata', `at most ${METADATA_MAX_PAIRS} metadata filters`);
  const after = timestamp(query, 'createdAfter');
  const before = timestamp(query, 'createdBefore');
  if (after !== undefined) filters.createdAfter = after;
  if (before !== undefined) filters.createdBefore = before;
  return filters;
}

function parseLimit(query: ListQuery): number {
  const raw = single(query, 'limit');
  if (raw === undefined) return LIST_DEFAULT_LIMIT;
  const limit = Number(raw);
  if (!/^\d+$/.test(raw) || limit < 1 || limit > LIST_MAX_LIMIT)
    throw problems.invalidParameter('limit', `must be an integer from 1 to ${LIST_MAX_LIMIT}`);
  return limit;
}

export async function listTasks(owner: string, query: ListQuery): Promise<{ items: TaskRecord[]; nextCursor: string | null }> {
  const filters = parseFilters(query);
  const limit = parseLimit(query);
  const rawCursor = single(query, 'cursor');
  const after = rawCursor === undefined ? undefined : decodeCursor(rawCursor, filters).after;
  // Created strictly after / before: ids carry their creation time (ms), so these are key bounds.
  const idFrom = filters.createdAfter === undefined ? undefined : lowestIdAt(Math.floor(filters.createdAfter) + 1);
  const idBelow = filters.createdBefore === undefined ? undefined : lowestIdAt(Math.ceil(filters.createdBefore));
  if (idFrom !== undefined && idBelow !== undefined && idFrom >= idBelow) return { items: [], nextCursor: null };
  const page = await queryByOwner(owner, {
    limit,
    ...(after && { afterId: after }),
    ...(idFrom && { idFrom }),
    ...(idBelow && { idBelow }),
    ...(filters.status && { status: filters.status }),
    ...(filters.type && { type: filters.type }),
    ...(filters.metadata.length > 0 && { metadata: filters.metadata }),
  });
  const items = page.items.filter((task) => !isExpired(task, config.retentionSeconds));
  return { items, nextCursor: page.lastId ? encodeCursor({ v: 1, after: page.lastId, f: fingerprint(filters) }) : null };
}
