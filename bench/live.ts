/**
 * Part 6: following a task live. Measured on the local stack: how long a progress write takes to
 * reach a live-channel (WebSocket) client and a server-sent event client, and how long a long poll
 * takes to wake up after a write (the last two include the 250 ms re-read interval,
 * `WATCH_INTERVAL_MS`; the first the local stream poller's 250 ms). Modelled from published
 * prices: the requests and the cost of *following* one task of 10 s, 1 min and 10 min (the task's
 * own execution is the same whichever way it is followed, and is left out) with Retry-After
 * polling, long poll, server-sent events, the live channel and webhooks, the live channel's line
 * items; and the streaming Lambda's cost per task-minute.
 */

import type { LocalStack } from '@longrun/local';
import { MAX_WAIT_SECONDS, ROUTES } from '../lambdas/api/routes.ts';
import { COALESCE_MS, FOLLOWERS_MAX_AGE_MS } from '../lambdas/domain/live.ts';
import { MAX_STREAM_MS, WATCH_INTERVAL_MS } from '../lambdas/sse/timing.ts';
import { EVENTS_READER_MEMORY_MB } from '../lib/task-api/push.ts';
import { readEvents } from '../packages/client/src/sse.ts';
import { modelledPolls, PRICES, RRU_PER_GET, WRU_TASK_WRITE } from './cost.ts';
import { ms, sleep, summary, table, usd } from './stats.ts';

export interface LiveResult {
  webSocketLatenciesMs: number[];
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

  options.log(`part 6c: live channel (WebSocket) latency, ${options.writes} writes`);
  const webSocketLatenciesMs = await measureWebSocket(stack, apiKey, options.writes, recordProgress);
  return { webSocketLatenciesMs, sseLatenciesMs, longPollLatenciesMs };
}

/**
 * Progress writes to a quiet task followed over the live channel (a watch token, one subscription),
 * each until its message arrives. Writes are more than a second apart (plus jitter), so that each is
 * a message of its own: at most one a second per task is sent, faster writes are coalesced.
 */
async function measureWebSocket(
  stack: LocalStack,
  apiKey: string,
  writes: number,
  recordProgress: (id: string, progress: { percent: number; step?: string }) => Promise<{ ok: boolean }>,
): Promise<number[]> {
  const { getTask } = await import('../lambdas/store/task-store.ts');
  const task = await quietTask(stack, apiKey);
  const tokenAnswer = await fetch(`${stack.baseUrl}/watch-tokens`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ taskId: task }),
  });
  if (tokenAnswer.status !== 201) throw new Error(`bench: POST /watch-tokens answered ${tokenAnswer.status}`);
  const { url } = (await tokenAnswer.json()) as { url: string };
  const socket = new WebSocket(url);
  const writtenAt = new Map<number, number>();
  const latencies: number[] = [];
  socket.addEventListener('message', (message) => {
    const { id } = JSON.parse(String(message.data)) as { id?: number };
    const at = id === undefined ? undefined : writtenAt.get(id);
    if (at !== undefined) latencies.push(Date.now() - at);
  });
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', () => reject(new Error('bench: the live channel refused the connection')), { once: true });
  });
  socket.send(JSON.stringify({ action: 'subscribe', taskId: task }));
  await sleep(1_000);
  let version = (await getTask(task, { consistent: true }))!.version;
  for (let i = 1; i <= writes; i++) {
    await sleep(COALESCE_MS + jitter());
    const outcome = await recordProgress(task, { percent: i % 100, step: `bench ${i}` });
    if (outcome.ok) writtenAt.set(++version, Date.now());
  }
  await sleep(1_500);
  socket.close();
  await fetch(`${stack.baseUrl}/tasks/${task}`, { method: 'DELETE', headers: { 'x-api-key': apiKey } });
  return latencies;
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
  /** A live-channel route function ($connect, subscribe, $disconnect): billed ms at 256 MB. */
  liveFunctionMs: 30,
  /** What the fan-out adds to an invocation of the events reader: a PostToConnection round trip (a batch's posts go in parallel). */
  fanOutMs: 30,
  /** Writes (tokens, connections, subscriptions, the follow mark, a lease) of items ≤ 1 KB. */
  wruPerLiveWrite: 1,
} as const;

/**
 * How many task writes one invocation of the events reader carries. Lambda polls each shard about
 * four times a second: a lone task gets a batch of its own per write; at load, writes of many tasks
 * share a batch (and the time the fan-out adds to it).
 */
interface FanOutBatching {
  label: string;
  recordsPerInvocation: number;
}

const FAN_OUT_BATCHING: readonly FanOutBatching[] = [
  { label: 'a lone task (one write per invocation)', recordsPerInvocation: 1 },
  { label: 'at load: 1 task/s, every task followed (~120 writes/s over 4 shards, 4 polls/s: 8 writes per invocation)', recordsPerInvocation: 8 },
];

/** The line of the time the fan-out adds to the events reader's invocations (it adds no invocation). */
const FAN_OUT_INVOCATIONS = 'fan-out invocations (time added)';

const messagesCost = (n: number) => n * PRICES.apiGatewayWebSocketPerMillionMessages * 1e-6;
const wruCost = (n: number) => n * PRICES.dynamoDbPerMillionWru * 1e-6;
const rruCost = (n: number) => n * PRICES.dynamoDbPerMillionRru * 1e-6;
const invocationCost = (n: number, ms: number) => n * (PRICES.lambdaPerMillionRequests * 1e-6 + gbSeconds(ms) * PRICES.lambdaPerGbSecondArm);

/**
 * Following one task of `seconds` over the live channel, line by line ($ per task): a watch token,
 * one connection (its route functions, its minutes, its messages: the subscription, the answer with
 * the current state, then one per change), the fan-out in the events reader, then the result.
 */
function liveChannelLines(seconds: number, batching: FanOutBatching): Array<{ item: string; detail: string; cost: number }> {
  const changes = 2 + Math.floor(seconds / MODEL.progressEverySeconds); // running, progress reports, terminal
  const messages = 2 + changes;
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  const invocations = changes / batching.recordsPerInvocation;
  // Followers are read on each status change (running, the outcome), once after the subscription (its new follow nonce) and when the copy is too old.
  const followerReads = 2 + 1 + Math.floor((seconds * 1000) / FOLLOWERS_MAX_AGE_MS);
  const w = MODEL.wruPerLiveWrite;
  return [
    {
      item: 'watch token (POST /watch-tokens)',
      detail: '1 REST request; the task read (1 RRU), the token written (1 WRU)',
      cost: perRequest(1, MODEL.shortRequestMs, MODEL.rruPerConsistentGet) + wruCost(w),
    },
    {
      item: 'connection-minutes',
      detail: `${minutes} min at $${PRICES.apiGatewayWebSocketPerMillionConnectionMinutes}/M`,
      cost: (minutes * PRICES.apiGatewayWebSocketPerMillionConnectionMinutes) / 1e6,
    },
    {
      item: 'messages',
      detail: `${messages}: subscribe, its answer, ${changes} changes (at $${PRICES.apiGatewayWebSocketPerMillionMessages}/M)`,
      cost: messagesCost(messages),
    },
    {
      item: 'route functions',
      detail: '$connect (token read, lease + connection written), subscribe (3 reads, 3 writes), $disconnect (3 reads, 3 writes)',
      cost: invocationCost(3, MODEL.liveFunctionMs) + rruCost(7 * MODEL.rruPerConsistentGet) + wruCost(8 * w),
    },
    {
      item: FAN_OUT_INVOCATIONS,
      detail: `${MODEL.fanOutMs} ms at ${EVENTS_READER_MEMORY_MB} MB added to each of ${invocations.toFixed(1)} invocations of the events reader (${changes} writes, ${batching.recordsPerInvocation} per invocation); it is invoked for every write of an open task, followed or not (bus events), so no request fee is added`,
      cost: invocations * gbSeconds(MODEL.fanOutMs, EVENTS_READER_MEMORY_MB) * PRICES.lambdaPerGbSecondArm,
    },
    {
      item: 'fan-out reads',
      detail: `${followerReads} RRU: the owner's followers, strongly consistent, on each status change (2), after the subscription (1) and every ${FOLLOWERS_MAX_AGE_MS / 60_000} minutes; a progress write reads none`,
      cost: rruCost(followerReads * MODEL.rruPerConsistentGet),
    },
    { item: 'result (GET /tasks/{id}/result)', detail: 'as for every mode', cost: perRequest(1, MODEL.shortRequestMs, RRU_PER_GET) },
  ];
}

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

type Mode = 'Retry-After polling' | 'long poll' | 'server-sent events' | 'live channel' | 'webhook';

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
    case 'live channel': {
      // At load (FAN_OUT_BATCHING[1]); the line items below show a lone task too. Requests: the watch token and the result.
      const cost = liveChannelLines(seconds, FAN_OUT_BATCHING[1]!).reduce((sum, line) => sum + line.cost, 0);
      return { mode, seconds, requests: 2, cost };
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
  out.push('## 6. Live status: WebSocket, events, long poll, webhooks');
  out.push('');
  const ws = summary(r.webSocketLatenciesMs);
  const sse = summary(r.sseLatenciesMs);
  const lp = summary(r.longPollLatenciesMs);
  out.push(
    `Measured on the local stack: a progress write (the worker kit's \`reportProgress\`, at a random moment) until the client has it. The event stream and the long poll look for a change every ${WATCH_INTERVAL_MS} ms (a probe of the owner index, then a strongly consistent read of the task on a change), so about half of that is the expected wait; the live channel is pushed from the table's stream, which the local stack polls every 250 ms as Lambda's event source mapping would (its writes are ${COALESCE_MS} ms + jitter apart: faster ones are coalesced, at most one message a second per task). Target for the live channel: p50 ≤ 300 ms.`,
  );
  out.push('');
  out.push(
    table(
      ['path', 'samples', 'p50', 'p95', 'p99', 'max'],
      [
        ['live channel, WebSocket (write → message received)', ws.n, ms(ws.p50), ms(ws.p95), ms(ws.p99), ms(ws.max)],
        ['server-sent event (write → event received)', sse.n, ms(sse.p50), ms(sse.p95), ms(sse.p99), ms(sse.max)],
        ['long poll (write → answer received)', lp.n, ms(lp.p50), ms(lp.p95), ms(lp.p99), ms(lp.max)],
      ],
    ),
  );
  out.push('');
  const modes: Mode[] = ['Retry-After polling', 'long poll', 'server-sent events', 'live channel', 'webhook'];
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
  const tenMinutes = 600;
  const polling = followCost('Retry-After polling', tenMinutes).cost;
  out.push(
    `The live channel, line by line: following a ${tenMinutes / 60}-minute task (progress every ${MODEL.progressEverySeconds} s) over the WebSocket, $ per million tasks, for a lone task and at load (the events reader batches the writes of many tasks, and the time the fan-out adds to them), next to Retry-After polling (${usd(polling * 1e6)}). Prices: WebSocket messages $${PRICES.apiGatewayWebSocketPerMillionMessages}/M, connection-minutes $${PRICES.apiGatewayWebSocketPerMillionConnectionMinutes}/M; route functions bill ${MODEL.liveFunctionMs} ms at ${MODEL.memoryMb} MB; the fan-out adds ${MODEL.fanOutMs} ms to an invocation of the events reader (${EVENTS_READER_MEMORY_MB} MB). Target: no more than polling.`,
  );
  out.push('');
  const scenarios = FAN_OUT_BATCHING.map((batching) => liveChannelLines(tenMinutes, batching));
  out.push(
    table(
      ['line item', ...FAN_OUT_BATCHING.map((b) => `${b.label}: what`), ...FAN_OUT_BATCHING.map((b) => `${b.label}: $ per million`)],
      scenarios[0]!.map((line, i) => [
        line.item,
        ...scenarios.map((lines) => lines[i]!.detail),
        ...scenarios.map((lines) => usd(lines[i]!.cost * 1e6)),
      ]),
    ),
  );
  out.push('');
  const totals = scenarios.map((lines) => lines.reduce((sum, line) => sum + line.cost, 0));
  out.push(
    `Total: ${FAN_OUT_BATCHING.map((b, i) => `${usd(totals[i]! * 1e6)} (${b.label.split(' (')[0]!.split(':')[0]})`).join(', ')} per million tasks, against ${usd(polling * 1e6)} for Retry-After polling and ${usd(followCost('server-sent events', tenMinutes).cost * 1e6)} for server-sent events: ${totals.every((t) => t <= polling) ? 'both within the target' : `${totals.map((t) => (t <= polling ? 'within' : `${((t / polling - 1) * 100).toFixed(0)} % over`)).join(' and ')} the target`}. Messages are most of it (one per change: the progress rate decides). The events reader keeps each owner's followers in memory and reads them again only on a status change, a new subscription (the follow nonce it writes on the task) or after ${FOLLOWERS_MAX_AGE_MS / 60_000} minutes, so a followed task's progress costs a message and ${MODEL.fanOutMs} ms of the reader, no read; a task nobody follows costs one follower read per status change.`,
  );
  out.push('');
  // How much slower the fan-out may be before the lone task costs more than polling.
  const loneWithoutFanOutTime = scenarios[0]!.filter((line) => line.item !== FAN_OUT_INVOCATIONS).reduce((sum, line) => sum + line.cost, 0);
  const loneInvocations = 2 + Math.floor(tenMinutes / MODEL.progressEverySeconds);
  const breakEvenMs = (polling - loneWithoutFanOutTime) / (loneInvocations * gbSeconds(1, EVENTS_READER_MEMORY_MB) * PRICES.lambdaPerGbSecondArm);
  out.push(
    breakEvenMs > 0
      ? `The margin: a lone task stays within polling's cost while the fan-out adds at most ${breakEvenMs.toFixed(0)} ms to each invocation of the events reader (modelled: ${MODEL.fanOutMs} ms); at 256 MB that would be half as much.`
      : 'The margin: none; a lone task costs more than polling even before the time the fan-out adds.',
  );
  out.push('');
  // The rate rule's price for a task that writes faster than a message a second.
  const secondsPerTask = tenMinutes;
  const waitingCost = secondsPerTask * gbSeconds(1000, EVENTS_READER_MEMORY_MB) * PRICES.lambdaPerGbSecondArm;
  out.push(
    `The live channel's cost follows the progress rate, polling's does not: a followed task that writes every second or faster is sent a message a second (${usd(messagesCost(secondsPerTask) * 1e6)} per million ${tenMinutes / 60}-minute tasks), and when its writes come less than ${COALESCE_MS} ms apart the events reader waits out the rest of the second before the next message (its time is billed: up to ${usd(waitingCost * 1e6)} per million such tasks at ${EVENTS_READER_MEMORY_MB} MB). The worker kit's \`progressReporter\` writes at most once a second (or every 25 points), so its writes seldom wait; a worker calling \`reportProgress\` in a tight loop pays both.`,
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
    "- Reading: Retry-After polling is the cheapest way to *poll* (its requests grow with the logarithm of the task length) but learns of a change up to `Retry-After` late; the long poll and the stream learn within a re-read interval and pay for every second they wait (Lambda duration), which dominates for long tasks; the live channel learns of a change as the table's stream delivers it and pays per message and connection-minute instead, so it costs about what polling does; a webhook is the cheapest for anything longer than a few seconds and needs a reachable receiver.",
  );
  out.push('');
  return out.join('\n');
}
