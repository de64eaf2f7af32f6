/** list use case: the caller's tasks, newest first, with an opaque cursor. */
import { config } from '#config';
import { problems } from '#domain/errors';
import { isTaskId } from '#domain/ids';
import { isExpired } from '#domain/representation';
import { isTaskStatus, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, type TaskRecord, type TaskStatus } from '#domain/task';
import { queryByOwner } from '#store/task-store';

export interface ListQuery {
  status?: string;
  limit?: string;
  cursor?: string;
}

interface Cursor {
  v: 1;
  after: string;
  status?: TaskStatus;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(raw: string, status: TaskStatus | undefined): Cursor {
  let cursor: Partial<Cursor>;
  try {
    cursor = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    throw problems.invalidCursor();
  }
  // A cursor only continues the listing it came from; anything else was tampered with.
  if (cursor?.v !== 1 || typeof cursor.after !== 'string' || !isTaskId(cursor.after) || cursor.status !== status) {
    throw problems.invalidCursor();
  }
  return cursor as Cursor;
}

function parseListQuery(query: ListQuery): { status?: TaskStatus; limit: number; after?: string } {
  let status: TaskStatus | undefined;
  if (query.status !== undefined) {
    if (!isTaskStatus(query.status)) throw problems.invalidParameter('status', 'must be one of pending, running, succeeded, failed, cancelled');
    status = query.status;
  }
  let limit = LIST_DEFAULT_LIMIT;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (!/^\d+$/.test(query.limit) || limit < 1 || limit > LIST_MAX_LIMIT) {
      throw problems.invalidParameter('limit', `must be an integer from 1 to ${LIST_MAX_LIMIT}`);
    }
  }
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, status).after;
  return { ...(status && { status }), limit, ...(after && { after }) };
}

export async function listTasks(owner: string, query: ListQuery): Promise<{ items: TaskRecord[]; nextCursor: string | null }> {
  const { status, limit, after } = parseListQuery(query);
  const page = await queryByOwner(owner, { limit, ...(after && { afterId: after }), ...(status && { status }) });
  const items = page.items.filter((task) => !isExpired(task, config.retentionSeconds));
  return { items, nextCursor: page.lastId ? encodeCursor({ v: 1, after: page.lastId, ...(status && { status }) }) : null };
}
