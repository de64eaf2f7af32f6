/** The webhook secret item against DynamoDB Local: a previous secret is kept for its overlap, then removed. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getOrCreateSecret, rotateSecret, signingSecrets } from '#store/webhook-secret-store';
import { useLocalStackEnv } from '../support/handler-env.ts';

useLocalStackEnv();

describe('webhook secret store', () => {
  it('after a rotation the previous secret signs for 24 h, and is removed from the item once that is over', async () => {
    const owner = `consumer:${randomUUID()}`;
    const t0 = new Date();
    const first = await getOrCreateSecret(owner, t0);
    const rotated = await rotateSecret(owner, t0);
    expect(rotated.previousSecret).toBe(first.secret);
    // Within the overlap: kept, and both sign.
    const during = await getOrCreateSecret(owner, new Date(t0.getTime() + 3600_000));
    expect(during.previousSecret).toBe(first.secret);
    expect(signingSecrets(during, new Date(t0.getTime() + 3600_000))).toEqual([rotated.secret, first.secret]);
    // Past it: read once more, the old value is gone from the stored item for good.
    const after = new Date(t0.getTime() + 25 * 3600_000);
    expect((await getOrCreateSecret(owner, after)).previousSecret).toBeUndefined();
    const stored = await getOrCreateSecret(owner, t0);
    expect(stored.previousSecret).toBeUndefined();
    expect(stored.previousExpiresAt).toBeUndefined();
    expect(stored.secret).toBe(rotated.secret);
  });
});
