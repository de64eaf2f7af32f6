/**
 * Held connections, capped: a caller's slot, and for a function that also serves plain requests a
 * slot of its budget for held ones. Past either cap the caller is told so (a stream answers 429, a
 * long poll answers at once) instead of waiting; a slot is given back in `finally`, and frees itself
 * at its deadline if the function dies first.
 */
import { randomUUID } from 'node:crypto';
import { config } from '#config';
import { callerSlots, functionSlots, shuffled } from '#domain/held-connections';
import { logger } from '#observability/logger';
import { giveBack, takeSlot } from '#store/lease-store';

/** A held connection's slots; `release` gives them back (never throws). */
export interface Hold {
  release(): Promise<void>;
}

/** Why a held connection was refused: the caller's cap, or the function's budget for held connections. */
export type HoldRefusal = 'caller' | 'capacity';

/**
 * Takes a slot for a connection `owner` holds for at most `maxSeconds`; refused past the caller's
 * cap or, where the function has a budget of held connections, past that.
 */
export async function holdConnection(owner: string, maxSeconds: number, now: number = Date.now()): Promise<Hold | HoldRefusal> {
  const lease = randomUUID();
  const nowSeconds = Math.floor(now / 1000);
  const expiresAt = nowSeconds + maxSeconds;
  const taken: string[] = [];
  const release = async (): Promise<void> => {
    for (const slot of taken.splice(0)) {
      try {
        await giveBack(slot, lease);
      } catch (error) {
        // It frees itself at its deadline anyway.
        logger.warn('Giving a held-connection slot back failed', { error: error as Error });
      }
    }
  };
  const mine = await takeSlot(shuffled(callerSlots(owner, config.heldPerCaller)), lease, expiresAt, nowSeconds);
  if (!mine) return 'caller';
  taken.push(mine);
  const budget = config.heldPerFunction;
  if (budget !== undefined) {
    const shared = await takeSlot(shuffled(functionSlots(config.functionName, budget)), lease, expiresAt, nowSeconds);
    if (!shared) {
      await release();
      return 'capacity';
    }
    taken.push(shared);
  }
  return { release };
}
