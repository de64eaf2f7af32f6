/** A failed progress write never fails the task: the worker carries on, the next report writes. */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { reportProgress } from '@longrun/worker';
import { afterEach, expect, it, vi } from 'vitest';
import { handler as countPrimes } from '../../lib/demo/functions/count-primes.ts';
import { getRow, newCaller, putRow } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';

useLocalStackEnv();
// The worker kit's own document client: its next write fails.
const failNextWrite = () => vi.spyOn(DynamoDBDocumentClient.prototype, 'send').mockRejectedValueOnce(throttled() as never);

const throttled = () => Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });

afterEach(() => vi.restoreAllMocks());

it('a throttled progress write answers "go on" instead of throwing', async () => {
  const row = await putRow({ owner: newCaller().owner, status: 'running' });
  failNextWrite();
  expect(await reportProgress(row.id, { percent: 10 })).toEqual({ cancelled: false });
  vi.restoreAllMocks();
  expect(await reportProgress(row.id, { percent: 20 })).toEqual({ cancelled: false });
  expect((await getRow(row.id))!.progress).toEqual({ percent: 20 });
});

it('the worker finishes with the right result although its first progress write failed', async () => {
  const row = await putRow({ owner: newCaller().owner });
  failNextWrite();
  expect(await countPrimes({ taskId: row.id, input: { upTo: 100_000 } })).toEqual({ count: 9592 });
});
