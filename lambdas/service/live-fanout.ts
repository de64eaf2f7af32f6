/**
 * The live channel's fan-out: a batch of task writes from the table's stream, coalesced to the
 * latest state of each task, is posted to every connection following the task (or its owner's
 * tasks) as the event stream's `status` / `progress` / `done` event. A task gets at most one
 * message a second: when its last one left less than a second ago, the batch waits out the rest of
 * that second first (the writes that arrive meanwhile are coalesced into the next batch). A
 * connection that is gone loses its subscriptions. Any other failed post of a `done` is retried with
 * the batch (a follower never misses the outcome); a failed `status` or `progress` is not (the next
 * change, or a re-subscription with `since`, brings the follower up to date).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { connections } from '#clients/connections';
import { config } from '#config';
import { ALL_TASKS, COALESCE_MS, type LiveMessage, liveEventType, type Subscription, type TaskWrite, visibleChanges } from '#domain/live';
import { toRepresentation } from '#domain/representation';
import { isTerminal } from '#domain/task';
import { logger } from '#observability/logger';
import { followersOf, forgetConnections } from '#service/live-followers';
import { removeSubscriptions } from '#store/live-store';

/** Posts in flight at once. */
const POST_CONCURRENCY = 16;

/**
 * When each task's last message left (epoch ms). A stream shard's batches run one at a time, in
 * one container as long as it lives, so this container's memory keeps the rate of the tasks it reads.
 */
const lastSent = new Map<string, number>();

export interface FanOutResult {
  /** Position in the batch of the earliest write whose `done` could not be posted (retry from there). */
  retryFrom?: number;
  /** Messages posted. */
  posted: number;
  /** Owners whose followers were read from the table (the rest were known; see `#service/live-followers`). */
  followerReads: number;
}

/** Runs `work` on each item, at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(runners);
}

export async function fanOut(writes: readonly TaskWrite[], now: () => number = Date.now): Promise<FanOutResult> {
  const changes = visibleChanges(writes);
  if (changes.length === 0) return { posted: 0, followerReads: 0 };
  const { byOwner: subscriptions, read: followerReads } = await followersOf(changes, now());
  const nowSeconds = Math.floor(now() / 1000);
  const sends = changes.flatMap((change) => {
    const followed = (s: Subscription) =>
      (s.taskId === ALL_TASKS || (s.taskId === change.task.id && s.since < change.task.version)) && s.until > nowSeconds;
    const followers = [...new Set((subscriptions.get(change.task.owner) ?? []).filter(followed).map((s) => s.connectionId))];
    return followers.length === 0 ? [] : [{ change, followers }];
  });
  if (sends.length === 0) return { posted: 0, followerReads };

  for (const [taskId, at] of lastSent) if (at < now() - COALESCE_MS) lastSent.delete(taskId);
  const wait = Math.max(0, ...sends.map(({ change }) => (lastSent.get(change.task.id) ?? Number.NEGATIVE_INFINITY) + COALESCE_MS - now()));
  if (wait > 0) await sleep(Math.min(wait, COALESCE_MS));

  const gone = new Set<string>();
  let retryFrom: number | undefined;
  let posted = 0;
  const posts = sends.flatMap(({ change, followers }) => {
    const message: LiveMessage = {
      event: liveEventType(change.task.status, change.statusChanged),
      id: change.task.version,
      data: toRepresentation(change.task, config.apiBaseUrl, config.retentionSeconds),
    };
    const data = new TextEncoder().encode(JSON.stringify(message));
    return followers.map((connectionId) => ({ change, connectionId, data }));
  });
  await eachLimited(posts, POST_CONCURRENCY, async ({ change, connectionId, data }) => {
    try {
      await connections().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      posted++;
    } catch (error) {
      if (error instanceof GoneException) {
        gone.add(connectionId);
        return;
      }
      const terminal = isTerminal(change.task.status);
      logger.warn(`Posting to a live connection failed${terminal ? '; the batch is retried from this task' : ''}`, {
        taskId: change.task.id,
        error: error as Error,
      });
      if (terminal) retryFrom = Math.min(retryFrom ?? change.first, change.first);
    }
  });
  for (const { change } of sends) lastSent.set(change.task.id, now());

  // A connection API Gateway no longer knows follows nothing (its `$disconnect` cleans up the rest, if it comes).
  forgetConnections(gone);
  for (const [owner, held] of subscriptions) {
    const stale = held.filter((s) => gone.has(s.connectionId));
    if (stale.length > 0) await removeSubscriptions(owner, stale);
  }
  return { posted, followerReads, ...(retryFrom !== undefined && { retryFrom }) };
}
