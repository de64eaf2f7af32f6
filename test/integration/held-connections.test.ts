/**
 * Held-connection leases against DynamoDB Local: a caller's cap, a function's budget, slots given
 * back, and slots that free themselves at their deadline when nobody gives them back.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamodb } from '#clients/dynamodb';
import { callerSlots, LEASE_PREFIX } from '#domain/held-connections';
import { type Hold, holdConnection } from '#service/held-connections';
import { useLocalStackEnv } from '../support/handler-env.ts';

const stack = useLocalStackEnv();
process.env.HELD_CONNECTIONS_PER_CALLER = '3';
process.env.HELD_CONNECTIONS_PER_FUNCTION = '5';
process.env.AWS_LAMBDA_FUNCTION_NAME = `held-test-${randomUUID()}`;

const isHold = (h: Hold | string): h is Hold => typeof h !== 'string';

describe('held connections', () => {
  it('a caller holds at most its cap; a slot given back is free again; another caller is not affected', async () => {
    const owner = `consumer:${randomUUID()}`;
    const holds = await Promise.all(Array.from({ length: 3 }, () => holdConnection(owner, 60)));
    expect(holds.every(isHold)).toBe(true);
    expect(await holdConnection(owner, 60)).toBe('caller');
    const other = await holdConnection(`consumer:${randomUUID()}`, 60);
    expect(isHold(other)).toBe(true);
    await (holds[0] as Hold).release();
    const again = await holdConnection(owner, 60);
    expect(isHold(again)).toBe(true);
    for (const h of [...holds.slice(1), other, again]) if (isHold(h)) await h.release();
  });

  it("the function's budget caps held connections of all callers together; a refusal takes nothing", async () => {
    const holds: Hold[] = [];
    // Five callers, one each: the budget (5) is used up.
    for (let i = 0; i < 5; i++) {
      const h = await holdConnection(`consumer:${randomUUID()}`, 60);
      expect(isHold(h)).toBe(true);
      holds.push(h as Hold);
    }
    const late = `consumer:${randomUUID()}`;
    expect(await holdConnection(late, 60)).toBe('capacity');
    // The refused caller's own slot was given back with the refusal.
    for (const slot of callerSlots(late, 3)) {
      const { Item } = await dynamodb.send(new GetCommand({ TableName: stack.tableName, Key: { id: slot } }));
      expect(Item).toBeUndefined();
    }
    await holds[0]!.release();
    const now = await holdConnection(late, 60);
    expect(isHold(now)).toBe(true);
    for (const h of [...holds.slice(1), now as Hold]) await h.release();
  });

  it('a slot nobody gave back frees itself at its deadline (the function died mid-stream)', async () => {
    const owner = `consumer:${randomUUID()}`;
    const start = Date.now();
    for (let i = 0; i < 3; i++) expect(isHold(await holdConnection(owner, 5, start))).toBe(true);
    expect(await holdConnection(owner, 5, start)).toBe('caller');
    // Six seconds on, every slot is past its deadline: taken over, though never released.
    const later = await holdConnection(owner, 5, start + 6_000);
    expect(isHold(later)).toBe(true);
    const items = await Promise.all(callerSlots(owner, 3).map((id) => dynamodb.send(new GetCommand({ TableName: stack.tableName, Key: { id } }))));
    for (const { Item } of items) if (Item) expect(Item.id.startsWith(LEASE_PREFIX)).toBe(true);
    await (later as Hold).release();
  });
});
