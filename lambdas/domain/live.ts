/**
 * The live channel (a WebSocket API fed by the table's stream): its item kinds, watch tokens, the
 * messages it sends and how a client resumes. Pure: no AWS imports.
 *
 * State lives in the task table as three item kinds of its own, none with an `owner` or `status`
 * attribute, so no task read, listing or stream filter sees them, and all expiring by `ttl`:
 *   live#token#<sha256 of the token>   a watch token: the caller's owners, the task it is limited to, its expiry
 *   live#conn#<connection id>          a connection: the token's owners and task, its held-connection slot, its end
 *   live#subs#<sha256 of an owner>     who follows that owner's tasks: one attribute per subscription,
 *                                      `s#<connection id>#<task id or *>` = { u: the connection's end (epoch s),
 *                                      v: the version the follower has (it is sent nothing older) }
 * One subscriptions item per owner lets the stream's fan-out find every follower of a task with one
 * strongly consistent read per owner; connections are capped per caller, so it stays small. The
 * fan-out reads it again only when it must (see `FOLLOW_NONCE_ATTRIBUTE`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { sameRepresentation } from './representation.ts';
import { isTerminal, type TaskRecord, type TaskStatus } from './task.ts';

/**
 * The one attribute the live channel writes on a task row: until when (epoch seconds) a connection
 * may follow it. The events reader's stream filter passes a followed task's progress writes only,
 * so the progress of a task nobody follows costs the channel nothing. Not part of the representation.
 */
export const FOLLOWED_ATTRIBUTE = 'followedUntil';
/**
 * Written with the follow mark, after the subscription: a new random value per subscription. The
 * fan-out keeps each owner's followers in memory and reads them again when a task's mark is not the
 * one it saw at its last read (a new subscription), so a followed task's progress costs no read.
 */
export const FOLLOW_NONCE_ATTRIBUTE = 'followNonce';
/** Every attribute the follow mark's write names (its IAM grant is limited to exactly these). */
export const FOLLOW_WRITE_ATTRIBUTES = ['id', 'owner', 'status', FOLLOWED_ATTRIBUTE, FOLLOW_NONCE_ATTRIBUTE] as const;

/** A fresh follow nonce (see {@link FOLLOW_NONCE_ATTRIBUTE}). */
export function newFollowNonce(): string {
  return randomBytes(9).toString('base64url');
}

/** The prefix of every live item's id (the functions' IAM grants are limited to it). */
export const LIVE_PREFIX = 'live#';
/** API Gateway closes a WebSocket connection after 2 hours. */
export const MAX_CONNECTION_SECONDS = 2 * 3600;
/** How long a watch token may be used to connect (a connection it opened lives on). */
export const DEFAULT_WATCH_TOKEN_SECONDS = 300;
/** Subscriptions one connection may hold (a task-scoped token allows one). */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;
/** At most one message per task per this interval: faster writes are coalesced into the latest. */
export const COALESCE_MS = 1_000;
/** How long the fan-out trusts its copy of an owner's followers at most (see `#service/live-followers`). */
export const FOLLOWERS_MAX_AGE_MS = 5 * 60_000;
/** The subscription of a whole caller (a dashboard), in place of a task id. */
export const ALL_TASKS = '*';

const TOKEN_PREFIX = 'lrw_';
const TOKEN_PATTERN = /^lrw_[A-Za-z0-9_-]{43}$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A new watch token: 256 random bits, prefixed so that secret scanners recognise it. */
export function newWatchToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function isWatchToken(value: string | undefined): value is string {
  return value !== undefined && TOKEN_PATTERN.test(value);
}

/** Only a hash of the token is stored: the table (or a backup of it) never holds a usable token. */
export const tokenItemId = (token: string) => `${LIVE_PREFIX}token#${sha256(token)}`;
export const connectionItemId = (connectionId: string) => `${LIVE_PREFIX}conn#${connectionId}`;
export const subscriptionsItemId = (owner: string) => `${LIVE_PREFIX}subs#${sha256(owner)}`;

const SUBSCRIPTION_PREFIX = 's#';
/** The attribute of one subscription in an owner's subscriptions item. */
export const subscriptionKey = (connectionId: string, taskId: string) => `${SUBSCRIPTION_PREFIX}${connectionId}#${taskId}`;

export interface Subscription {
  connectionId: string;
  /** A task id, or `*` for every task of the owner. */
  taskId: string;
  /** The connection's end (epoch seconds): later, the subscription is void. */
  until: number;
  /** The task version the follower has already (its `since`, then what `subscribe` answered): nothing up to it is sent again. */
  since: number;
}

/** The subscriptions held in an owner's subscriptions item (its other attributes ignored). */
export function subscriptionsOf(item: Record<string, unknown> | undefined): Subscription[] {
  const out: Subscription[] = [];
  for (const [name, value] of Object.entries(item ?? {})) {
    const entry = value as { u?: unknown; v?: unknown } | null;
    if (!name.startsWith(SUBSCRIPTION_PREFIX) || typeof entry?.u !== 'number') continue;
    const at = name.lastIndexOf('#');
    if (at <= SUBSCRIPTION_PREFIX.length) continue;
    out.push({
      connectionId: name.slice(SUBSCRIPTION_PREFIX.length, at),
      taskId: name.slice(at + 1),
      until: entry.u,
      since: typeof entry.v === 'number' ? entry.v : 0,
    });
  }
  return out;
}

/** A stored watch token. */
export interface WatchTokenRecord {
  id: string;
  /** Every owner whose tasks the token's caller may see (as `ApiRequest.owners`). */
  owners: string[];
  /** The one task the token is for; absent: every task of the caller. */
  taskId?: string;
  /** Epoch seconds after which it no longer opens a connection. */
  expiresAt: number;
  ttl: number;
}

/** A stored connection. */
export interface ConnectionRecord {
  id: string;
  connectionId: string;
  owners: string[];
  taskId?: string;
  /** The held-connection slot it takes (see `#service/held-connections`) and the lease that holds it. */
  slots: string[];
  lease: string;
  /** Epoch seconds: API Gateway's 2-hour limit. */
  expiresAt: number;
  ttl: number;
}

/** The event types, as in the event stream (`GET /tasks/{id}/events`). */
export type LiveEventType = 'status' | 'progress' | 'done';

/** `status` when the status moved (or the task is new), `done` once terminal, `progress` otherwise. */
export function liveEventType(status: TaskStatus, statusChanged: boolean): LiveEventType {
  if (isTerminal(status)) return 'done';
  return statusChanged ? 'status' : 'progress';
}

/** A message of the live channel. `id` is the task's version, as an event stream's event id. */
export type LiveMessage =
  | { event: LiveEventType; id: number; data: unknown }
  | { event: 'subscribed'; taskId?: string; since?: number }
  | { event: 'error'; problem: { type: string; title: string; status: number; detail: string } };

/** One write of a task, as the table's stream shows it (`previous`: the image before; none for a new task). */
export interface TaskWrite {
  task: TaskRecord;
  previous?: Partial<TaskRecord>;
}

/** What a batch of writes shows a follower of one task: its latest state, and whether its status moved meanwhile. */
export interface VisibleChange {
  task: TaskRecord;
  statusChanged: boolean;
  /** Position in the batch of the task's first write: a failed send is retried from there. */
  first: number;
}

/**
 * Coalesces a batch of writes (in stream order) into one change per task: its latest state. A
 * write that changes nothing a client sees (bookkeeping, such as the sweeper's) is no change.
 */
export function visibleChanges(writes: readonly TaskWrite[]): VisibleChange[] {
  const byTask = new Map<string, VisibleChange>();
  writes.forEach((write, position) => {
    if (write.previous && sameRepresentation(write.previous, write.task)) return;
    const statusChanged = !write.previous || write.previous.status !== write.task.status;
    const seen = byTask.get(write.task.id);
    if (!seen) byTask.set(write.task.id, { task: write.task, statusChanged, first: position });
    else if (write.task.version >= seen.task.version) {
      byTask.set(write.task.id, { task: write.task, statusChanged: seen.statusChanged || statusChanged, first: seen.first });
    }
  });
  return [...byTask.values()];
}

/**
 * The version of a terminal task's terminal write. The writes after it are counted on the task: a
 * webhook attempt is one version and one attempt (`callbackExpression`), a compensation one version
 * when claimed and one when recorded. None is a change a follower waits for (and none passes the
 * events reader's filter), so a follower that has the terminal version is up to date.
 */
export function terminalVersion(task: Pick<TaskRecord, 'version' | 'callback' | 'compensation'>): number {
  const compensationWrites = task.compensation ? (task.compensation.status === 'running' ? 1 : 2) : 0;
  return task.version - (task.callback?.attempts ?? 0) - compensationWrites;
}

/**
 * True when a client that has version `since` has what it needs of `task`: the current version,
 * or, for a terminal task, its terminal event (so a resumed follower never gets a second `done`).
 */
export function upToDate(task: Pick<TaskRecord, 'version' | 'status' | 'callback' | 'compensation'>, since: number | undefined): boolean {
  if (since === undefined || since > task.version) return false; // a version from the future is not a resume point
  return since === task.version || (isTerminal(task.status) && since >= terminalVersion(task));
}

/** What a client asks for: `{ action: 'subscribe', taskId?, since? }`. */
export interface SubscribeRequest {
  taskId?: string;
  since?: number;
}

/** The body of a `subscribe` message, or why it is not one (a detail for a 400). */
export function parseSubscribe(body: string | null | undefined): SubscribeRequest | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return 'the message is not JSON';
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return 'the message is not a JSON object';
  const { taskId, since } = parsed as Record<string, unknown>;
  if (taskId !== undefined && (typeof taskId !== 'string' || taskId === '' || taskId.length > 64)) return 'taskId must be a task id';
  if (since !== undefined && !(typeof since === 'number' && Number.isSafeInteger(since) && since >= 0)) {
    return 'since must be a version (an integer from 0)';
  }
  return { ...(taskId !== undefined && { taskId: taskId as string }), ...(since !== undefined && { since: since as number }) };
}
