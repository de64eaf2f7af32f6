/**
 * Part 6: following a task live. Measured on the local stack: how long a progress write takes to
 * reach a server-sent event client, and how long a long poll takes to wake up after a write (both
 * include the 250 ms re-read interval, `WATCH_INTERVAL_MS`). Modelled from published prices: the
 * requests and the cost of *following* one task of 10 s, 1 min and 10 min (the task's own
 * execution is the same whichever way it is followed, and is left out) with Retry-After polling,
 * long poll, server-sent events and webhooks; and the streaming Lambda's cost per task-minute.
 */

import type { LocalStack } from '@longrun/local';
import { MAX_WAIT_SECONDS, ROUTES } from '../lambdas/api/routes.ts';
import { MAX_STREAM_MS, WATCH_INTERVAL_MS } from '../lambdas/sse/timing.ts';
import { readEvents } from '../packages/client/src/sse.ts';
import { modelledPolls, PRICES, RRU_PER_GET, WRU_TASK_WRITE } from './cost.ts';
import { ms, sleep, summary, table, usd } from './stats.ts';

export interface LiveResult {
  sseLatenciesMs: number[];
  longPollLatenciesMs: number[];
}

interface Options {
  writes: number;
  log: (line: string) => void;
}

/** A running task nobody else writes to: a long sleep (no worker progress), cancelled afterwards. */
async function quietTask(stack: LocalStack, apiKey: string): Promise<string> {
  const response = await fetch(`${stack.baseUrl}/tasks`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'sleep', input: { seconds: 3600 } }),
  });
  const task = (await response.json()) as { id: string };
  // Let the execution's RUNNING event land before we start timing our own writes.
  for (let i = 0; i < 100; i++) {
    const current = (await (await fetch(`${stack.baseUrl}/tasks/${task.id}`, { headers: { 'x-api-key': apiKey } })).json()) as { status: string };
    if (current.status === 'running') break;
    await sleep(100);
  }
  await sleep(500);
  return task.id;
}

/** A write at a random phase of the re-read interval, as a worker's would be. */
const jitter = () => 300 + Math.random() * 700;

export async function measureLive(stack: LocalStack, apiKey: string, options: Options): Promise<LiveResult> {
  const { getTask } = await import('../lambdas/store/task-store.ts');
  const { reportProgress } = await import('@longrun/worker');
  const recordProgress = (id: string, progress: { percent: number; step?: string }) =>
    reportProgress(id, progress).then(({ cancelled }) => ({ ok: !cancelled }));
  const headers = { 'x-api-key': apiKey };

  options.log(`part 6a: server-sent event latency, ${options.writes} writes`);
  const sseTask = await quietTask(stack, apiKey);
  const writtenAt = new Map<number, number>();
  const sseLatenciesMs: number[] = [];
  const controller = new AbortController();
  const response = await fetch(`${stack.baseUrl}/tasks/${sseTask}/events`, {
    headers: { ...headers, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const reading = (async () => {
    for await (const event of readEvents(response.body!)) {
      const at = writtenAt.get(Number(event.id));
      if (at !== undefined) sseLatenciesMs.push(Date.now() - at);
    }
  })().catch(() => {});
  await sleep(1_000);
  // Nobody else writes this task now, so each write is the next version.
  let version = (await getTask(sseTask, { consistent: true }))!.version;
  for (let i = 1; i <= options.writes; i++) {
    await sleep(jitter());
    const outcome = await recordProgress(sseTask, { percent: i % 100, step: `bench ${i}` });
    if (outcome.ok) writtenAt.set(++version, Date.now());
  }
  await sleep(1_000);
  controller.abort();
  await reading;
  await fetch(`${stack.baseUrl}/tasks/${sseTask}`, { method: 'DELETE', headers });

  options.log(`part 6b: long-poll wake-up latency, ${options.writes} polls`);
  const pollTask = await quietTask(stack, apiKey);
  const longPollLatenciesMs: number[] = [];
  for (let i = 1; i <= options.writes; i++) {
    const current = await fetch(`${stack.baseUrl}/tasks/${pollTask}`, { headers });
    const etag = current.headers.get('etag')!;
    await current.arrayBuffer();
    const poll = fetch(`${stack.baseUrl}/tasks/${pollTask}`, { headers: { ...headers, prefer: 'wait=20', 'if-none-match': etag } });
    await sleep(jitter());
    await recordProgress(pollTask, { percent: i % 100, step: `bench ${i}` });
    const written = Date.now();
    const answer = await poll;
    longPollLatenciesMs.push(Date.now() - written);
    await answer.arrayBuffer();
  }
  await fetch(`${stack.baseUrl}/tasks/${pollTask}`, { method: 'DELETE', headers });
  return { sseLatenciesMs, longPollLatenciesMs };
}

/** Assumptions of the model, printed with it. */
const MODEL = {
  /** A task reports progress this often (each report is a change that wakes a long poll or sends an event). */
  progressEverySeconds: 5,
  /** Billed duration of a buffered API function answering from one GetItem (part 1 measures ~5–20 ms locally). */
  shortRequestMs: 20,
  memoryMb: 256,
  /** Webhook delivery: one invocation that posts to the receiver, and the queue's send/receive/delete. */
  webhookDeliveryMs: 300,
  sqsPerMillionRequests: 0.4,
  sqsRequestsPerDelivery: 3,
  /** A strongly consistent GetItem of a task (≤ 4 KB). */
  rruPerConsistentGet: 1,
  /** A watcher's probe: an eventually consistent Query of the task's owner-index entry (≤ 4 KB). */
  rruPerProbe: 0.5,
} as const;

/**
 * Read units a watcher spends per minute on a task of `itemKiB` that changes `changesPerMinute`
 * times. DynamoDB bills a read by the size of the whole item (a projection does not lower it): a
 * strongly consistent GetItem is 1 unit per 4 KB, an eventually consistent read half that.
 * Before: every re-read was a strongly consistent GetItem of the whole item. Now: a probe of the
 * owner-index entry (the representation only, under 4 KB) each interval, and a strongly consistent
 * GetItem only on a change.
 */
function watchReadUnitsPerMinute(itemKiB: number, changesPerMinute: number): { before: number; after: number } {
  const rereads = 60_000 / WATCH_INTERVAL_MS;
  const fullRead = Math.ceil(itemKiB / 4) * MODEL.rruPerConsistentGet;
  return { before: rereads * fullRead, after: rereads * MODEL.rruPerProbe + changesPerMinute * fullRead };
}

type Mode = 'Retry-After polling' | 'long poll' | 'server-sent events' | 'webhook';

interface ModelRow {
  mode: Mode;
  seconds: number;
  requests: number;
  cost: number;
}

/** The event stream function's memory, as the construct deploys it (`ROUTES`). */
const STREAM_MEMORY_MB = ROUTES.find((r) => r.streaming)?.memorySize ?? MODEL.memoryMb;

const gbSeconds = (ms: number, memoryMb: number = MODEL.memoryMb) => (ms / 1000) * (memoryMb / 1024);
const perRequest = (apiRequests: number, lambdaMs: number, rru: number, memoryMb: number = MODEL.memoryMb) =>
  apiRequests * PRICES.apiGatewayRestPerMillion * 1e-6 +
  apiRequests * PRICES.lambdaPerMillionRequests * 1e-6 +
  gbSeconds(lambdaMs, memoryMb) * PRICES.lambdaPerGbSecondArm +
  rru * PRICES.dynamoDbPerMillionRru * 1e-6;

/** Requests and cost of following one task of `seconds` until its outcome, and fetching the result. */
function followCost(mode: Mode, seconds: number): ModelRow {
  const changes = 2 + Math.floor(seconds / MODEL.progressEverySeconds); // running, progress reports, terminal
  const shortMs = MODEL.shortRequestMs;
  const result = perRequest(1, shortMs, RRU_PER_GET);
  const rereads = (seconds * 1000) / WATCH_INTERVAL_MS;
  switch (mode) {
    case 'Retry-After polling': {
      const polls = modelledPolls(seconds, true);
      return { mode, seconds, requests: polls + 1, cost: perRequest(polls, polls * shortMs, polls * RRU_PER_GET) + result };
    }
    case 'long poll': {
      // A poll returns on each change, or after the maximum wait when nothing changed meanwhile.
      const gap = seconds / changes;
      const polls = changes + changes * Math.floor(gap / MAX_WAIT_SECONDS);
      return {
        mode,
        seconds,
        requests: polls + 1,
        cost: perRequest(polls, seconds * 1000, rereads * MODEL.rruPerProbe + changes * MODEL.rruPerConsistentGet) + result,
      };
    }
    case 'server-sent events': {
      const connections = Math.ceil((seconds * 1000) / MAX_STREAM_MS);
      return {
        mode,
        seconds,
        requests: connections + 1,
        cost: perRequest(connections, seconds * 1000, rereads * MODEL.rruPerProbe + changes * MODEL.rruPerConsistentGet, STREAM_MEMORY_MB) + result,
      };
    }
    case 'webhook': {
      // No request while the task runs: one delivery (a Lambda, the queue, the attempt recorded on the task), then the result.
      const delivery =
        PRICES.lambdaPerMillionRequests * 1e-6 +
        gbSeconds(MODEL.webhookDeliveryMs) * PRICES.lambdaPerGbSecondArm +
        MODEL.sqsRequestsPerDelivery * MODEL.sqsPerMillionRequests * 1e-6 +
        WRU_TASK_WRITE * PRICES.dynamoDbPerMillionWru * 1e-6;
      return { mode, seconds, requests: 1, cost: delivery + result };
    }
  }
}

/** The streaming function's own cost per minute of an open stream (duration and re-reads). */
function streamCostPerMinute(memoryMb: number): number {
  return (
    gbSeconds(60_000, memoryMb) * PRICES.lambdaPerGbSecondArm + (60_000 / WATCH_INTERVAL_MS) * MODEL.rruPerProbe * PRICES.dynamoDbPerMillionRru * 1e-6
  );
}

export function liveSection(r: LiveResult): string {
  const out: string[] = [];
  out.push('## 6. Live status: events, long poll, webhooks');
  out.push('');
  const sse = summary(r.sseLatenciesMs);
  const lp = summary(r.longPollLatenciesMs);
  out.push(
    `Measured on the local stack: a progress write (the worker kit's \`reportProgress\`, at a random moment) until the client has it. Both paths look for a change every ${WATCH_INTERVAL_MS} ms (a probe of the owner index, then a strongly consistent read of the task on a change), so about half of that is the expected wait.`,
  );
  out.push('');
  out.push(
    table(
      ['path', 'samples', 'p50', 'p95', 'p99', 'max'],
      [
        ['server-sent event (write → event received)', sse.n, ms(sse.p50), ms(sse.p95), ms(sse.p99), ms(sse.max)],
        ['long poll (write → answer received)', lp.n, ms(lp.p50), ms(lp.p95), ms(lp.p99), ms(lp.max)],
      ],
    ),
  );
  out.push('');
  const modes: Mode[] = ['Retry-After polling', 'long poll', 'server-sent events', 'webhook'];
  const durations = [10, 60, 600];
  out.push(
    `Modelled: requests per task and cost per million tasks of *following* a task until its outcome and fetching its result (the execution itself costs the same either way and is left out; see part 5). Assumptions: progress reported every ${MODEL.progressEverySeconds} s; a buffered API function bills ${MODEL.shortRequestMs} ms at ${MODEL.memoryMb} MB; a long poll (${MODEL.memoryMb} MB) or a stream (${STREAM_MEMORY_MB} MB) bills its whole open time and probes the owner index every ${WATCH_INTERVAL_MS} ms (${MODEL.rruPerProbe} RRU), reading the task (${MODEL.rruPerConsistentGet} RRU, strongly consistent) on each change; a webhook costs one ${MODEL.webhookDeliveryMs} ms delivery invocation, ${MODEL.sqsRequestsPerDelivery} SQS requests and one recorded attempt (${WRU_TASK_WRITE} WRU); prices: ${PRICES.asOf}.`,
  );
  out.push('');
  out.push(
    table(
      ['task length', ...modes.map((m) => `${m}: requests`), ...modes.map((m) => `${m}: $ per million`)],
      durations.map((seconds) => {
        const rows = modes.map((mode) => followCost(mode, seconds));
        return [
          seconds < 60 ? `${seconds} s` : `${seconds / 60} min`,
          ...rows.map((row) => row.requests.toFixed(0)),
          ...rows.map((row) => usd(row.cost * 1e6)),
        ];
      }),
    ),
  );
  out.push('');
  out.push(
    `The streaming Lambda, per minute of an open stream: ${usd(streamCostPerMinute(STREAM_MEMORY_MB) * 1e6)} per million task-minutes at ${STREAM_MEMORY_MB} MB as deployed (${usd(streamCostPerMinute(256) * 1e6)} at 256 MB, so it was lowered to 128 MB), of which re-reads are ${usd((60_000 / WATCH_INTERVAL_MS) * MODEL.rruPerProbe * PRICES.dynamoDbPerMillionRru * 1e-6 * 1e6)} (probes; at a 1 s interval they would be a quarter of that, for 4× the latency). A long poll costs about the same per minute of waiting at ${MODEL.memoryMb} MB.`,
  );
  out.push('');
  const changesPerMinute = 60 / MODEL.progressEverySeconds;
  out.push(
    `Watch reads per minute of an open stream or long poll, in DynamoDB read units (a read is billed by the size of the whole item; a task changing ${changesPerMinute} times a minute). Before: a strongly consistent GetItem of the whole task every ${WATCH_INTERVAL_MS} ms. Now: an eventually consistent probe of the task's owner-index entry (what a client sees, under 4 KB) every ${WATCH_INTERVAL_MS} ms, and a strongly consistent read only on a change.`,
  );
  out.push('');
  out.push(
    table(
      ['task item size', 'read units / stream-minute, before', 'now', 'before ÷ now', '$ per million stream-minutes, before', 'now'],
      [1, 16, 64, 260].map((kib) => {
        const { before, after } = watchReadUnitsPerMinute(kib, changesPerMinute);
        return [
          `${kib} KiB${kib === 260 ? ' (a 256 KiB input)' : ''}`,
          before.toFixed(0),
          after.toFixed(0),
          `${(before / after).toFixed(1)}×`,
          usd(before * PRICES.dynamoDbPerMillionRru),
          usd(after * PRICES.dynamoDbPerMillionRru),
        ];
      }),
    ),
  );
  out.push('');
  out.push(
    '- Reading: Retry-After polling is the cheapest way to *poll* (its requests grow with the logarithm of the task length) but learns of a change up to `Retry-After` late; the long poll and the stream learn within a re-read interval and pay for every second they wait (Lambda duration), which dominates for long tasks; a webhook is the cheapest for anything longer than a few seconds and needs a reachable receiver.',
  );
  out.push('');
  return out.join('\n');
}
