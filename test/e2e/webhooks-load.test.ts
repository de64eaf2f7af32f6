/**
 * Load: tasks with callbacks from 32 clients, every delivery verified, none lost, none twice.
 * `npm test` runs 200 (WEBHOOK_LOAD_TASKS); `npm run test:webhooks-load` and `npm run bench` run 1,000.
 */
import { describe, expect, it } from 'vitest';
import { runWebhookLoad } from '../../bench/webhooks.ts';
import { localStack } from '../support/http.ts';

const TASKS = Number(process.env.WEBHOOK_LOAD_TASKS ?? 200);

describe('webhooks under load', () => {
  it(`${TASKS} tasks with callbacks from 32 clients: ${TASKS} verified deliveries, 0 lost, 0 duplicates`, async () => {
    const stack = localStack();
    const result = await runWebhookLoad({ baseUrl: stack.baseUrl, apiKey: stack.apiKeys[0]!, tasks: TASKS, concurrency: 32, deadlineSeconds: 240 });
    expect(result.submitted).toBe(TASKS);
    expect(result.lost).toEqual([]);
    expect(result.unverified).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(result.delivered).toBe(TASKS);
    // Every 10th receiver answered 503 once: those tasks took exactly two POSTs.
    expect(result.attemptsPerTask).toBeCloseTo(1 + Math.floor(TASKS / 10) / TASKS, 5);
  }, 600_000);
});
