/**
 * Webhooks end to end, over real HTTP against the local stack: DynamoDB Local's stream, the
 * filtered mappings from the template, the local queue with its visibility-timeout retries
 * (LONGRUN_WEBHOOK_RETRY_DELAYS=1,2,4, set by the test setup), a receiver on 127.0.0.1, and
 * `standardwebhooks`' own `Webhook.verify`.
 */
import { ListQueuesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, localStack, ownerOf, pollUntil, sleep } from '../support/http.ts';
import { freePort, type ReceivedRequest, WebhookReceiver } from '../support/webhook-receiver.ts';

const terminal = (task: { status: string }) => ['succeeded', 'failed', 'cancelled'].includes(task.status);
const settled = (task: { callback?: { status: string } }) => task.callback !== undefined && task.callback.status !== 'pending';

async function secretOf(key?: string): Promise<string> {
  const response = await http('GET', '/webhook-secret', key ? { key } : {});
  expect(response.status).toBe(200);
  return response.body.secret;
}

function verify(secret: string, request: ReceivedRequest): any {
  return new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
}

async function submit(body: Record<string, unknown>, key?: string): Promise<{ id: string; location: string }> {
  const response = await http('POST', '/tasks', { body, ...(key && { key }) });
  expect(response.status).toBe(202);
  return { id: response.body.id, location: response.headers.get('location')! };
}

describe('webhooks: one verified delivery per finished task', () => {
  const receiver = new WebhookReceiver();
  beforeAll(async () => {
    await receiver.start();
  });
  afterAll(() => receiver.stop());

  it.each([
    ['succeeded', { type: 'primes', input: { upTo: 1000 } }],
    ['failed', { type: 'fail', input: { message: 'on purpose' } }],
  ])('%s: signed, verified by standardwebhooks, the task representation inside, delivered recorded on the task', async (status, body) => {
    const { id, location } = await submit({ ...body, callbackUrl: receiver.url });
    const { task } = await pollUntil(location, (t) => terminal(t) && settled(t));
    expect(task.status).toBe(status);
    expect(task.callback).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204 });

    const requests = receiver.forTask(id);
    expect(requests).toHaveLength(1);
    const request = requests[0]!;
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('Longrun-Webhooks/1');
    const [secret, otherCallersSecret] = [await secretOf(), await secretOf(localStack().apiKeys[1])];
    const event = verify(secret, request);
    expect(event).toMatchObject({ type: `task.${status}`, timestamp: task.completedAt, data: { id, status, links: task.links } });
    expect(event.data.callback).toBeUndefined();
    expect(request.headers['webhook-id']).toMatch(new RegExp(`^msg_${id}_\\d+$`));
    // Any other secret fails: the signature really binds the body to the caller's secret.
    expect(() => verify(otherCallersSecret, request)).toThrow();
    expect(() => new Webhook(secret).verify(request.body.replace(status, 'tampered'), request.headers as Record<string, string>)).toThrow();
  });

  it('cancelled: one delivery of task.cancelled', async () => {
    const { id, location } = await submit({ type: 'sleep', input: { seconds: 600 }, callbackUrl: receiver.url });
    await pollUntil(location, (t) => t.status === 'running');
    expect((await http('DELETE', location)).status).toBe(200);
    await pollUntil(location, settled);
    await sleep(500); // a late duplicate would have arrived by now
    const requests = receiver.forTask(id);
    expect(requests).toHaveLength(1);
    expect(verify(await secretOf(), requests[0]!).type).toBe('task.cancelled');
  });

  it('a task finished by the backstop (execution timed out, recorded by reconcile) is delivered too', async () => {
    const { id, location } = await submit({ type: 'sleep', input: { seconds: 3600 }, callbackUrl: receiver.url });
    const { task } = await pollUntil(location, (t) => terminal(t) && settled(t), {
      timeoutMs: (localStack().executionTimeoutSeconds + 60) * 1000,
      maxWaitMs: 500,
    });
    expect(task.status).toBe('failed');
    const requests = receiver.forTask(id);
    expect(requests).toHaveLength(1);
    expect(verify(await secretOf(), requests[0]!)).toMatchObject({
      type: 'task.failed',
      data: { error: { detail: 'The task exceeded its time limit.' } },
    });
  });

  it('a task without callbackUrl shows no callback state and sends nothing', async () => {
    const before = receiver.requests.length;
    const { location } = await submit({ type: 'fail', input: { message: 'quiet' } });
    const { task } = await pollUntil(location, terminal);
    expect(task.callback).toBeUndefined();
    await sleep(500);
    expect(receiver.requests.length).toBe(before);
  });
});

describe('webhooks: retries', () => {
  it('receiver down (refused), then 500s, then up: delivered on attempt 4 with the same webhook-id; attempts visible on the task', async () => {
    const port = await freePort();
    const receiver = new WebhookReceiver();
    try {
      const { id, location } = await submit({ type: 'fail', input: { message: 'x' }, callbackUrl: `http://127.0.0.1:${port}/hooks` });
      // Attempt 1 finds nobody listening.
      const { task: afterFirst } = await pollUntil(location, (t) => t.callback?.attempts === 1, { maxWaitMs: 50 });
      expect(afterFirst.callback).toMatchObject({ status: 'pending', attempts: 1 });
      expect(afterFirst.callback.lastStatusCode).toBeUndefined();
      expect(Date.parse(afterFirst.callback.nextAttemptAt)).toBeGreaterThan(Date.parse(afterFirst.callback.lastAttemptAt));
      // Then it answers 500 twice (attempts 2 and 3), then 200.
      receiver.respond = (_request, index) => (index < 2 ? { status: 500, body: 'x'.repeat(100_000) } : { status: 200 });
      await receiver.start(port);
      const { task } = await pollUntil(location, settled, { maxWaitMs: 100 });
      expect(task.callback).toMatchObject({ status: 'delivered', attempts: 4, lastStatusCode: 200 });
      const requests = receiver.forTask(id);
      expect(requests).toHaveLength(3);
      expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
      const secret = await secretOf();
      for (const request of requests) expect(verify(secret, request).data.id).toBe(id);
    } finally {
      await receiver.stop();
    }
  });

  it('410 Gone: no more attempts, callback failed', async () => {
    const receiver = await new WebhookReceiver().start();
    receiver.respond = () => ({ status: 410 });
    try {
      const { id, location } = await submit({ type: 'fail', input: { message: 'x' }, callbackUrl: receiver.url });
      const { task } = await pollUntil(location, settled);
      expect(task.callback).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 410 });
      await sleep(3000); // the schedule would have retried after 1 s
      expect(receiver.forTask(id)).toHaveLength(1);
    } finally {
      await receiver.stop();
    }
  });

  it('a receiver that never recovers: 4 attempts (the schedule), then the dead-letter queue and callback failed', async () => {
    const receiver = await new WebhookReceiver().start();
    receiver.respond = () => ({ status: 503, headers: { 'retry-after': '1' } });
    try {
      const { id, location } = await submit({ type: 'fail', input: { message: 'x' }, callbackUrl: receiver.url });
      const { task } = await pollUntil(location, settled, { maxWaitMs: 200 });
      expect(task.callback).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: 503 });
      expect(receiver.forTask(id)).toHaveLength(4);

      const sqs = new SQSClient({
        endpoint: localStack().sqsEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({}));
      const dlq = QueueUrls.find((url) => /WebhooksDeadLetterQueue/.test(url));
      expect(dlq).toBeDefined();
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10 }));
      expect(Messages.map((m) => JSON.parse(m.Body!).taskId)).toContain(id);
      sqs.destroy();
    } finally {
      await receiver.stop();
    }
  });
});

describe('webhook secret', () => {
  it('GET creates it once (whsec_ + 32 bytes), is stable, never cached, and differs per caller', async () => {
    const [keyA, keyB] = localStack().apiKeys;
    const first = await http('GET', '/webhook-secret', { key: keyA });
    expect(first.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(first.body.secret.slice(6), 'base64')).toHaveLength(32);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect((await http('GET', '/webhook-secret', { key: keyA })).body.secret).toBe(first.body.secret);
    expect((await http('GET', '/webhook-secret', { key: keyB })).body.secret).not.toBe(first.body.secret);
  });

  it('needs credentials, and other methods answer 405 with Allow', async () => {
    expect((await http('GET', '/webhook-secret', { key: null })).status).toBe(401);
    const wrong = await http('DELETE', '/webhook-secret', { unchecked: true });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toContain('GET');
    expect(wrong.headers.get('allow')).toContain('POST');
  });

  it('rotation: for the overlap both the old and the new secret verify a delivery', async () => {
    const keyB = localStack().apiKeys[1]!;
    const old = await secretOf(keyB);
    const rotated = await http('POST', '/webhook-secret', { key: keyB });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(old);
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    expect(await secretOf(keyB)).toBe(rotated.body.secret);

    const receiver = await new WebhookReceiver().start();
    try {
      const { id, location } = await submit({ type: 'fail', input: { message: 'x' }, callbackUrl: receiver.url }, keyB);
      await pollUntil(location, settled, { key: keyB });
      const [request] = receiver.forTask(id);
      expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(verify(old, request!).data.id).toBe(id);
      expect(verify(rotated.body.secret, request!).data.id).toBe(id);
    } finally {
      await receiver.stop();
    }
  });
});

describe('SSRF at submit, over HTTP', () => {
  it.each([
    'https://169.254.169.254/latest/meta-data/',
    'https://[fd00:ec2::254]/',
    'https://10.0.0.1/hook',
    'https://user:pass@example.com/hook',
    'http://example.com/hook',
    'https://100.64.0.1/',
    'https://metadata.google.internal/',
    'ftp://example.com/',
  ])('%s -> 400 naming /callbackUrl, nothing created', async (callbackUrl) => {
    const response = await http('POST', '/tasks', { body: { type: 'fail', input: { message: 'x' }, callbackUrl } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/callbackUrl']);
  });
});

describe('events for servers (the local bus)', () => {
  type BusEvent = { detailType: string; source: string; detail: any };
  async function eventsOf(id: string, last: string): Promise<BusEvent[]> {
    let events: BusEvent[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const all = (await (await fetch(`${localStack().eventBusEndpoint}/events`)).json()) as { events: BusEvent[] };
      events = all.events.filter((e) => e.detail?.id === id);
      if (events.some((e) => e.detailType === last)) break;
      await sleep(100);
    }
    return events;
  }

  it('every transition, in order, once: task.submitted, task.running, task.succeeded, with the owner; progress at most once per 5-second window', async () => {
    const { id, location } = await submit({ type: 'primes', input: { upTo: 3_000_000 } });
    // The worker writes progress at least every 25 points (README), so several running -> running writes happen.
    await pollUntil(location, terminal);
    const events = await eventsOf(id, 'task.succeeded');
    const types = events.map((e) => e.detailType);
    expect(types.filter((t) => t !== 'task.progress')).toEqual(['task.submitted', 'task.running', 'task.succeeded']);
    // The first report at once (with task.running), then at most one per 5-second window of the writes' time.
    const progress = events.filter((e) => e.detailType === 'task.progress');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    const windows = progress.map((e) => Math.floor(Date.parse(e.detail.updatedAt) / 5000));
    expect(new Set(windows).size).toBe(windows.length);
    for (const e of events) {
      expect(e.source).toBe('longrun');
      expect(e.detail.owner).toBe(ownerOf(localStack().apiKeys[0]!));
    }
    expect(events[0]!.detail).toMatchObject({ id, status: 'pending' });
    expect(events.at(-1)!.detail).toMatchObject({ id, status: 'succeeded', progress: { percent: 100 } });
  });

  it('a cancelled task: task.submitted, task.running, task.cancelled', async () => {
    const { id, location } = await submit({ type: 'sleep', input: { seconds: 600 } });
    await pollUntil(location, (t) => t.status === 'running');
    expect((await http('DELETE', location)).status).toBe(200);
    const events = await eventsOf(id, 'task.cancelled');
    expect(events.map((e) => e.detailType)).toEqual(['task.submitted', 'task.running', 'task.cancelled']);
    expect(events[2]!.detail.error.type).toMatch(/task-cancelled$/);
  });

  it('a retry: task.retried, then the next attempt as before', async () => {
    const { id, location } = await submit({ type: 'flaky', input: { failures: 1 } });
    await pollUntil(location, terminal);
    expect((await http('POST', `${location}/retry`)).status).toBe(202);
    await pollUntil(location, terminal);
    const events = await eventsOf(id, 'task.succeeded');
    expect(events.map((e) => e.detailType).filter((t) => t !== 'task.running')).toEqual([
      'task.submitted',
      'task.failed',
      'task.retried',
      'task.succeeded',
    ]);
    expect(events.find((e) => e.detailType === 'task.retried')!.detail).toMatchObject({ status: 'pending', attempt: 2 });
  });
});
