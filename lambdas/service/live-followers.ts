/**
 * Who follows the tasks of a stream batch, read as rarely as correctness allows. Each owner's
 * subscriptions item is kept in this container's memory (a shard's batches run one at a time, in
 * one container while it lives) and read again, strongly consistent, when:
 * - a task of the owner changed status: a caller-wide subscription (a dashboard) marks no task, so
 *   only a fresh read finds a new one, and a status change is what it waits for;
 * - a task's follow nonce is not the one seen at the last read: a subscription was added since (it
 *   is stored before the nonce is written, and the batch shows the nonce, so a read now sees it);
 * - the copy is older than {@link MAX_AGE_MS} (subscriptions that ended: their posts would only be refused).
 * So a followed task's progress, the most frequent write, costs no read.
 */
import { FOLLOWERS_MAX_AGE_MS as MAX_AGE_MS, type Subscription, type VisibleChange } from '#domain/live';
import { subscriptionsOfOwners } from '#store/live-store';

/** Owners kept at most (the oldest read goes first). */
const MAX_OWNERS = 1_000;

interface KnownFollowers {
  readAt: number;
  subscriptions: Subscription[];
  /** The follow nonce each task of the owner had when the subscriptions were read. */
  nonces: Map<string, string | undefined>;
}

const known = new Map<string, KnownFollowers>();

function mustRead(entry: KnownFollowers | undefined, changes: readonly VisibleChange[], now: number): boolean {
  if (!entry || now - entry.readAt > MAX_AGE_MS) return true;
  return changes.some(
    (change) => change.statusChanged || change.task.followNonce === undefined || entry.nonces.get(change.task.id) !== change.task.followNonce,
  );
}

/** The subscriptions of each owner of `changes`, from memory when still good, else read; and how many owners were read. */
export async function followersOf(
  changes: readonly VisibleChange[],
  now: number = Date.now(),
): Promise<{ byOwner: Map<string, Subscription[]>; read: number }> {
  const byOwner = new Map<string, VisibleChange[]>();
  for (const change of changes) byOwner.set(change.task.owner, [...(byOwner.get(change.task.owner) ?? []), change]);
  const stale = [...byOwner].filter(([owner, own]) => mustRead(known.get(owner), own, now)).map(([owner]) => owner);
  if (stale.length > 0) {
    const fresh = await subscriptionsOfOwners(stale);
    for (const [owner, subscriptions] of fresh) {
      const before = known.get(owner);
      // The nonces seen stay good until the copy is too old (then they start again, so they never pile up).
      const nonces = before && now - before.readAt <= MAX_AGE_MS ? before.nonces : new Map<string, string | undefined>();
      for (const change of byOwner.get(owner) ?? []) nonces.set(change.task.id, change.task.followNonce);
      known.delete(owner); // re-inserted last: the map's order is the order of reads
      known.set(owner, { readAt: now, subscriptions, nonces });
    }
    for (const owner of known.keys()) {
      if (known.size <= MAX_OWNERS) break;
      known.delete(owner);
    }
  }
  return { byOwner: new Map([...byOwner.keys()].map((owner) => [owner, known.get(owner)?.subscriptions ?? []])), read: stale.length };
}

/** Connections API Gateway no longer knows: their subscriptions are dropped from memory too. */
export function forgetConnections(gone: ReadonlySet<string>): void {
  if (gone.size === 0) return;
  for (const entry of known.values()) entry.subscriptions = entry.subscriptions.filter((s) => !gone.has(s.connectionId));
}
