/**
 * The live channel's use cases: a watch token (obtained with the API key), a connection opened
 * with it (a held-connection slot per connection, capped per caller like event streams and long
 * polls), subscriptions (to one task, or to every task of the caller), and the connection's end.
 * The messages themselves come from the table's stream (`#service/live-fanout`).
 */
import { GetConnectionCommand, GoneException } from '@aws-sdk/client-apigatewaymanagementapi';
import { connections } from '#clients/connections';
import { config } from '#config';
import { problems } from '#domain/errors';
import { callerSlots } from '#domain/held-connections';
import { isTaskId } from '#domain/ids';
import {
  ALL_TASKS,
  isWatchToken,
  type LiveMessage,
  MAX_CONNECTION_SECONDS,
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  newWatchToken,
  parseSubscribe,
  type Subscription,
  tokenItemId,
  upToDate,
} from '#domain/live';
import { toRepresentation, WATCHED_ATTRIBUTES } from '#domain/representation';
import { isTerminal } from '#domain/task';
import { findOwnTask } from '#service/find-task';
import { type Hold, holdConnection, releaseSlots } from '#service/held-connections';
import { giveBack, slotHolders } from '#store/lease-store';
import {
  addSubscription,
  advanceSubscription,
  deleteConnection,
  getConnection,
  getToken,
  markFollowed,
  putConnection,
  putToken,
  removeSubscriptions,
  subscriptionsOfOwners,
} from '#store/live-store';

/** A live connection's lease is named after it, so that a lost `$disconnect` can be told from a live connection. */
const LEASE_PREFIX = 'live:';
/** When a caller refused a connection (at its cap) may try again. */
const RETRY_AFTER_SECONDS = 5;
/** What a task read for the live channel needs. */
const READ = { consistent: true, attributes: WATCHED_ATTRIBUTES } as const;

/** What `POST /watch-tokens` answers. */
export interface WatchToken {
  /** Opens one connection to the live channel (`?token=`) until `expiresAt`. */
  token: string;
  expiresAt: string;
  /** The live channel's URL with the token in it. */
  url: string;
  /** The one task the token is for; absent: every task of the caller. */
  taskId?: string;
}

/** A token for `taskId` (which must be the caller's) or for every task of the caller. */
export async function issueWatchToken(owners: string[], taskId: string | undefined, now: number = Date.now()): Promise<WatchToken> {
  if (taskId !== undefined) await findOwnTask(owners, taskId, READ);
  const token = newWatchToken();
  const expiresAt = Math.floor(now / 1000) + config.watchTokenSeconds;
  await putToken({ id: tokenItemId(token), owners, ...(taskId !== undefined && { taskId }), expiresAt });
  const url = new URL(config.liveUrl);
  url.searchParams.set('token', token);
  return { token, expiresAt: new Date(expiresAt * 1000).toISOString(), url: url.toString(), ...(taskId !== undefined && { taskId }) };
}

/**
 * `$connect`: the token must be known and unexpired (401), and the caller under its cap of held
 * connections (429). The connection keeps the token's scope and its slot until `$disconnect`.
 */
export async function connect(connectionId: string, token: string | undefined, now: number = Date.now()): Promise<void> {
  if (!isWatchToken(token)) throw problems.watchTokenRefused();
  const record = await getToken(tokenItemId(token));
  const nowSeconds = Math.floor(now / 1000);
  if (!record || record.expiresAt <= nowSeconds || record.owners.length === 0) throw problems.watchTokenRefused();
  const hold = await holdSlot(record.owners[0]!, connectionId, now);
  try {
    await putConnection({
      connectionId,
      owners: record.owners,
      ...(record.taskId !== undefined && { taskId: record.taskId }),
      slots: [...hold.slots],
      lease: hold.lease,
      expiresAt: nowSeconds + MAX_CONNECTION_SECONDS,
    });
  } catch (error) {
    await hold.release();
    throw error;
  }
}

async function holdSlot(owner: string, connectionId: string, now: number): Promise<Hold> {
  const lease = LEASE_PREFIX + connectionId;
  // API Gateway ends the connection at 2 hours; the slot frees itself a little later if `$disconnect` never comes.
  const maxSeconds = MAX_CONNECTION_SECONDS + 60;
  let hold = await holdConnection(owner, maxSeconds, now, lease);
  if (hold === 'caller' && (await reclaimLostSlots(owner, now)) > 0) hold = await holdConnection(owner, maxSeconds, now, lease);
  if (hold === 'caller') throw problems.tooManyHeldConnections(config.heldPerCaller, RETRY_AFTER_SECONDS);
  if (hold === 'capacity') throw problems.unavailable(RETRY_AFTER_SECONDS);
  return hold;
}

/**
 * API Gateway delivers `$disconnect` on a best-effort basis: a caller at its cap gets back the
 * slots of its live connections that API Gateway no longer knows (GetConnection: Gone).
 */
async function reclaimLostSlots(owner: string, now: number): Promise<number> {
  const holders = await slotHolders(callerSlots(owner, config.heldPerCaller));
  let freed = 0;
  for (const holder of holders) {
    if (!holder.lease.startsWith(LEASE_PREFIX) || holder.expiresAt < now / 1000) continue;
    try {
      await connections().send(new GetConnectionCommand({ ConnectionId: holder.lease.slice(LEASE_PREFIX.length) }));
    } catch (error) {
      if (!(error instanceof GoneException)) throw error;
      await giveBack(holder.id, holder.lease);
      freed++;
    }
  }
  return freed;
}

/**
 * `subscribe`: follow one task (`taskId`; a task token's own task by default) or, with a caller
 * token and no `taskId`, every task of the caller. The answer is the task's current state when it
 * is newer than `since` (a `status` event, or `done`), else `subscribed`; then the fan-out sends
 * every change. The subscription is stored, then the task marked followed (its progress writes pass
 * the stream filter), then the task read for the answer, so no write falls in between.
 */
export async function subscribe(connectionId: string, body: string | null | undefined, now: number = Date.now()): Promise<LiveMessage> {
  const request = parseSubscribe(body);
  if (typeof request === 'string') throw problems.invalidParameter('subscribe', request);
  const connection = await getConnection(connectionId);
  if (!connection) throw problems.watchTokenRefused();
  const taskId = request.taskId ?? connection.taskId;
  if (connection.taskId !== undefined && taskId !== connection.taskId) throw problems.otherTask();
  const follow = async (owner: string, id: string) => {
    const subscription: Subscription = { connectionId, taskId: id, until: connection.expiresAt, since: request.since ?? 0 };
    if ((await addSubscription(owner, subscription, Math.floor(now / 1000))) > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      await removeSubscriptions(owner, [subscription]);
      throw problems.tooManySubscriptions(MAX_SUBSCRIPTIONS_PER_CONNECTION);
    }
  };
  if (taskId === undefined) {
    // A task is owned by one of the caller's owners (its consumer, or for older tasks its key).
    for (const owner of connection.owners) await follow(owner, ALL_TASKS);
    return { event: 'subscribed' };
  }
  if (!isTaskId(taskId)) throw problems.notFound();
  // Not the caller's (404), past retention (410); the owner is the caller's consumer or, for older tasks, its key.
  let task = await findOwnTask(connection.owners, taskId, READ);
  // An ended task needs no subscription: its state now is all there is to send.
  if (!isTerminal(task.status)) {
    const { owner } = task;
    // The subscription, then the mark (its new nonce makes the fan-out read the followers again), then the task: no write falls in between.
    await follow(owner, taskId);
    const marked = await markFollowed(taskId, owner, connection.expiresAt);
    if (!marked) await removeSubscriptions(owner, [{ connectionId, taskId }]); // it ended meanwhile
    task = await findOwnTask(connection.owners, taskId, READ);
    // The fan-out of a write read here need not send it again (a race narrowed, not closed: followers drop repeated versions).
    if (marked) await advanceSubscription(owner, { connectionId, taskId }, task.version);
  }
  if (upToDate(task, request.since)) return { event: 'subscribed', taskId, since: task.version };
  return {
    event: isTerminal(task.status) ? 'done' : 'status',
    id: task.version,
    data: toRepresentation(task, config.apiBaseUrl, config.retentionSeconds),
  };
}

/** `$disconnect` (best-effort on API Gateway): the connection's subscriptions and item go, its slot is given back. */
export async function disconnect(connectionId: string): Promise<void> {
  const connection = await getConnection(connectionId);
  if (!connection) return;
  for (const [owner, subscriptions] of await subscriptionsOfOwners(connection.owners)) {
    await removeSubscriptions(
      owner,
      subscriptions.filter((s) => s.connectionId === connectionId),
    );
  }
  await deleteConnection(connectionId);
  await releaseSlots(connection);
}
