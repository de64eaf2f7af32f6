/**
 * Part 8: webhooks on the local stack. N tasks with a callbackUrl from C clients, a receiver on
 * 127.0.0.1 that verifies every delivery with `standardwebhooks` (and answers 503 to the first
 * attempt of every 10th task, so retries are measured too). Reports delivery latency from the
 * terminal write (the task's `completedAt`) to the receiver, deliveries per task, lost deliveries,
 * and the cost per million deliveries. `test/e2e/webhooks-load.test.ts` runs the same load.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { fetchRetryingThrottles, type ThrottleCount } from '../test/support/throttle-retry.ts';
import { WebhookReceiver } from '../test/support/webhook-receiver.ts';
import { PRICES } from './cost.ts';
import { sleep, summary, table, usd } from './stats.ts';

export interface WebhookLoadOptions {
  baseUrl: string;
  apiKey: string;
  tasks: number;
  concurrency: number;
  /** Every n-th task's receiver answers 503 to its first attempt (0 = never). @default 10 */
  failFirstEvery?: number;
  /** Give up on a delivery this long after its task was submitted. @default 120 */
  deadlineSeconds?: number;
  log?: (line: string) => void;
}

export interface WebhookLoadResult {
  tasks: number;
  submitted: number;
  /** Tasks whose event arrived verified, exactly once with a 2xx answer. */
  delivered: number;
  /** Tasks with no verified delivery by the deadline. */
  lost: string[];
  /** Tasks that got more than one 2xx-answered delivery (at-least-once duplicates). */
  duplicates: number;
  /** Requests that failed `Webhook.verify`. */
  unverified: number;
  /** Every POST the receiver got (incl. the 503-answered ones), per task. */
  attemptsPerTask: number;
  /**
   * Terminal write -> receiver, ms: succeeded tasks not made to fail, whose `completedAt` is the
   * RecordSuccess write. (A failed task's `completedAt` is its execution's stop time, which the
   * backstop records later, so it would count the status event's delay too.)
   */
  latencyMs: number[];
  seconds: number;
  /** Submits answered 503 at the submit function's reserved concurrency, waited out and retried. */
  throttledSubmits: number;
}

/** One request; a capacity answer (503/429 with Retry-After) is waited out and retried, and counted. */
async function call(
  baseUrl: string,
  apiKey: string,
  method: string,
  path: string,
  body?: unknown,
  count?: ThrottleCount,
): Promise<{ status: number; body: any }> {
  const response = await fetchRetryingThrottles(
    `${baseUrl}${path}`,
    {
      method,
      headers: {
        'x-api-key': apiKey,
        ...(body !== undefined && { 'content-type': 'application/json', 'idempotency-key': randomUUID() }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    },
    count,
  );
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export async function runWebhookLoad(options: WebhookLoadOptions): Promise<WebhookLoadResult> {
  const started = Date.now();
  const { baseUrl, apiKey } = options;
  const failFirstEvery = options.failFirstEvery ?? 10;
  const secret = (await call(baseUrl, apiKey, 'GET', '/webhook-secret')).body.secret as string;
  const webhook = new Webhook(secret);
  const receiver = await new WebhookReceiver().start();
  const seen = new Map<string, number>();
  const firstOk = new Map<string, number>();
  const okCount = new Map<string, number>();
  const failing = new Set<string>();
  /** Tasks whose `completedAt` is the terminal write itself (RecordSuccess: the step's entry time). */
  const recordedBySuccess = new Set<string>();
  let unverified = 0;
  receiver.respond = (request) => {
    let event: { data: { id: string; status: string; completedAt: string } };
    try {
      event = webhook.verify(request.body, request.headers as Record<string, string>) as typeof event;
    } catch {
      unverified++;
      return { status: 400 };
    }
    const id = event.data.id;
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    if (failing.has(id) && n === 1) return { status: 503 };
    okCount.set(id, (okCount.get(id) ?? 0) + 1);
    if (!firstOk.has(id)) firstOk.set(id, request.at - Date.parse(event.data.completedAt));
    if (event.data.status === 'succeeded') recordedBySuccess.add(id);
    return { status: 204 };
  };

  const ids: string[] = [];
  const throttles: ThrottleCount = { throttled: 0 };
  let next = 0;
  const client = async () => {
    for (let i = next++; i < options.tasks; i = next++) {
      // Half succeed (RecordSuccess writes the outcome), half fail (a Fail state: the backstop writes it).
      const body = i % 2 === 0 ? { type: 'primes', input: { upTo: 2000 } } : { type: 'fail', input: { message: `task ${i}` } };
      const response = await call(baseUrl, apiKey, 'POST', '/tasks', { ...body, callbackUrl: receiver.url }, throttles);
      if (response.status !== 202) throw new Error(`submit answered ${response.status}: ${JSON.stringify(response.body)}`);
      if (failFirstEvery > 0 && i % failFirstEvery === failFirstEvery - 1) failing.add(response.body.id);
      ids.push(response.body.id);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, client));
    options.log?.(`webhooks: ${ids.length} tasks submitted, waiting for their deliveries`);
    const deadline = Date.now() + (options.deadlineSeconds ?? 120) * 1000;
    while (Date.now() < deadline && ids.some((id) => !firstOk.has(id))) await sleep(100);
    await sleep(500); // a late duplicate would show by now
  } finally {
    await receiver.stop();
  }
  const attempts = [...seen.values()].reduce((a, b) => a + b, 0);
  return {
    tasks: options.tasks,
    submitted: ids.length,
    delivered: ids.filter((id) => okCount.get(id) === 1).length,
    lost: ids.filter((id) => !firstOk.has(id)),
    duplicates: ids.filter((id) => (okCount.get(id) ?? 0) > 1).length,
    unverified,
    attemptsPerTask: ids.length ? attempts / ids.length : NaN,
    latencyMs: ids.filter((id) => !failing.has(id) && recordedBySuccess.has(id) && firstOk.has(id)).map((id) => firstOk.get(id)!),
    seconds: (Date.now() - started) / 1000,
    throttledSubmits: throttles.throttled,
  };
}

/** Published prices the webhook and event paths add to `PRICES` (us-east-1, 2025). */
const PUSH_PRICES = {
  sqsPerMillionRequests: 0.4,
  eventBridgeCustomEventsPerMillion: 1.0,
} as const;

/**
 * Assumptions of the cost model, printed with it. Durations are not measured locally (a delivery's
 * time is the receiver's): a forwarder invocation per delivery (low traffic; batches make it less),
 * a receiver that answers in 200 ms.
 */
const PUSH_ASSUMPTIONS = {
  forwardMs: 20,
  deliveryMs: 300,
  publishMs: 30,
  memoryMb: 256,
  /** A callback write: the task item (≤ 2 KB) on the table and its copy in the `byOwner` index. */
  wruPerAttempt: 4,
  /** Strongly consistent reads of the task and the secret item. */
  rruPerAttempt: 2,
  eventsPerTask: 3,
} as const;

interface DeliveryCost {
  sqs: number;
  lambda: number;
  dynamoDb: number;
  total: number;
}

/** Cost per million deliveries with `attemptsPerDelivery` POSTs each (1 = no retry). Stream reads by Lambda are free. */
function costPerMillionDeliveries(attemptsPerDelivery: number): DeliveryCost {
  const a = PUSH_ASSUMPTIONS;
  const gb = a.memoryMb / 1024;
  // Per delivery: SendMessage; per attempt: a receive and a delete; per retry: the delayed re-send.
  const sqsRequests = 1 + attemptsPerDelivery * 2 + (attemptsPerDelivery - 1);
  const lambdaRequests = 1 + attemptsPerDelivery;
  const gbSeconds = (a.forwardMs / 1000) * gb + attemptsPerDelivery * (a.deliveryMs / 1000) * gb;
  const M = 1_000_000;
  const sqs = sqsRequests * PUSH_PRICES.sqsPerMillionRequests;
  const lambda = lambdaRequests * PRICES.lambdaPerMillionRequests + gbSeconds * PRICES.lambdaPerGbSecondArm * M;
  const dynamoDb = attemptsPerDelivery * (a.wruPerAttempt * PRICES.dynamoDbPerMillionWru + a.rruPerAttempt * PRICES.dynamoDbPerMillionRru);
  return { sqs, lambda, dynamoDb, total: sqs + lambda + dynamoDb };
}

/** Task events for servers, per million tasks (`eventsPerTask` transitions each). */
function costPerMillionTaskEvents(): number {
  const a = PUSH_ASSUMPTIONS;
  const lambda =
    a.eventsPerTask * (PRICES.lambdaPerMillionRequests + (a.publishMs / 1000) * (a.memoryMb / 1024) * PRICES.lambdaPerGbSecondArm * 1_000_000);
  return a.eventsPerTask * PUSH_PRICES.eventBridgeCustomEventsPerMillion + lambda;
}

/** The report section. */
export function webhookSection(r: WebhookLoadResult, clients: number): string[] {
  const s = summary(r.latencyMs);
  const row = (label: string, attempts: number) => {
    const c = costPerMillionDeliveries(attempts);
    return [label, usd(c.sqs), usd(c.lambda), usd(c.dynamoDb), `**${usd(c.total)}**`];
  };
  const a = PUSH_ASSUMPTIONS;
  return [
    '## 8. Webhooks',
    '',
    `${r.submitted} tasks with a \`callbackUrl\` (half primes, half fail) from ${clients} clients; a receiver on 127.0.0.1 verifies every POST with \`standardwebhooks\` and answers 503 to the first attempt of every 10th task (retried after 1 s: \`LONGRUN_WEBHOOK_RETRY_DELAYS=1,2,4\`). Latency is measured on the succeeded tasks answered at the first attempt (their \`completedAt\` is the terminal write). Took ${r.seconds.toFixed(0)} s. ${r.throttledSubmits} submits were answered \`503\` at the submit function's reserved concurrency (the local stack enforces it, as Lambda does) and sent again after their \`Retry-After\`, with the same \`Idempotency-Key\`.`,
    '',
    table(
      ['delivered once, verified', 'lost', 'duplicates', 'unverified', 'POSTs per task', 'latency p50 / p95 / p99 (terminal write → receiver)'],
      [
        [
          `${r.delivered} / ${r.submitted}`,
          r.lost.length,
          r.duplicates,
          r.unverified,
          r.attemptsPerTask.toFixed(2),
          `${s.p50.toFixed(0)} / ${s.p95.toFixed(0)} / ${s.p99.toFixed(0)} ms (max ${s.max.toFixed(0)}, n ${s.n})`,
        ],
      ],
    ),
    '',
    'Local latency is the stream poll (every 250 ms when idle), the queue poll (200 ms) and two in-process function invocations; on AWS the stream mapping adds up to about a second and SQS long polling less.',
    '',
    `Cost per million deliveries (published prices, ${PRICES.asOf}; SQS $${PUSH_PRICES.sqsPerMillionRequests}/M requests; stream reads by Lambda are free; assumed: forwarder ${a.forwardMs} ms and delivery ${a.deliveryMs} ms at ${a.memoryMb} MB, one forwarder invocation per delivery, ${a.wruPerAttempt} WRU + ${a.rruPerAttempt} RRU per attempt):`,
    '',
    table(
      ['deliveries', 'SQS', 'Lambda', 'DynamoDB', 'total'],
      [
        row('first attempt succeeds', 1),
        row(`as measured (${r.attemptsPerTask.toFixed(2)} POSTs each)`, r.attemptsPerTask),
        row('every retry used (8 POSTs, then DLQ)', 8),
      ],
    ),
    '',
    `Events for servers add ${usd(costPerMillionTaskEvents())} per million tasks (${a.eventsPerTask} transitions each at $${PUSH_PRICES.eventBridgeCustomEventsPerMillion}/M custom events, plus the publisher).`,
    '',
  ];
}
