import { describe, expect, it } from 'vitest';
import { callbackUrlViolation, isPublicAddress } from '#domain/callback-url';
import { toRepresentation } from '#domain/representation';
import { progressFilters, statusChangeFilters, webhookFilters } from '#domain/stream-filters';
import type { TaskRecord, TaskStatus } from '#domain/task';
import {
  DEFAULT_RETRY_DELAYS,
  MAX_DELAY_SECONDS,
  MAX_QUEUE_DELAY_SECONDS,
  MAX_RETRY_AFTER_SECONDS,
  nextStep,
  parseRetryAfter,
  parseRetryDelays,
  queueDelaySeconds,
  secondsUntilDue,
  webhookEvent,
  webhookId,
} from '#domain/webhook';
import { passesFilters } from '../../packages/local/src/event-filter.ts';
import { aTask } from '../support/task-builder.ts';

/** At least 20 hostile callback URLs, each refused at submit (and so never dialled). */
const HOSTILE = [
  ['loopback', 'https://127.0.0.1/hook'],
  ['decimal IPv4 (127.0.0.1)', 'https://2130706433/hook'],
  ['hex IPv4', 'https://0x7f000001/hook'],
  ['dotted hex IPv4', 'https://0x7f.0x0.0x0.0x1/hook'],
  ['octal IPv4', 'https://0177.0.0.1/hook'],
  ['short IPv4 (127.1)', 'https://127.1/hook'],
  ['percent-encoded host', 'https://%31%32%37.0.0.1/hook'],
  ['private 10/8', 'https://10.1.2.3/'],
  ['IPv4-compatible IPv6 of 127.0.0.1 (::/96)', 'https://[::7f00:1]/hook'],
  ['IPv4-compatible IPv6 of 10.0.0.1 (::/96)', 'https://[::10.0.0.1]/hook'],
  ['IPv4-compatible IPv6 of a public address (::/96 is never dialled)', 'https://[::8.8.8.8]/hook'],
  ['private 172.16/12', 'https://172.20.0.5/'],
  ['private 192.168/16', 'https://192.168.1.1/'],
  ['CGNAT 100.64/10', 'https://100.64.0.1/'],
  ['EC2 metadata', 'https://169.254.169.254/latest/meta-data/'],
  ['EC2 metadata, decimal', 'https://2852039166/'],
  ['EC2 metadata IPv6', 'https://[fd00:ec2::254]/'],
  ['IPv6 loopback', 'https://[::1]/'],
  ['IPv6 unspecified', 'https://[::]/'],
  ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/'],
  ['IPv4-mapped IPv6, hex form', 'https://[::ffff:7f00:1]/'],
  ['IPv4-mapped IPv6 metadata', 'https://[::ffff:169.254.169.254]/'],
  ['NAT64 of a private address', 'https://[64:ff9b::a00:1]/'],
  ['IPv6 link-local', 'https://[fe80::1]/'],
  ['IPv6 unique local', 'https://[fc00::1]/'],
  ['0.0.0.0', 'https://0.0.0.0/'],
  ['0 (= 0.0.0.0)', 'https://0/'],
  ['localhost', 'https://localhost/'],
  ['localhost with a trailing dot', 'https://LOCALHOST./'],
  ['a .localhost name', 'https://api.localhost/'],
  ['.internal name', 'https://metadata.google.internal/'],
  ['.local (mDNS) name', 'https://printer.local/'],
  ['single-label name', 'https://intranet/'],
  ['@ trick: credentials hide the real host', 'https://example.com@127.0.0.1/'],
  ['@ trick, double', 'https://a@b@10.0.0.1/'],
  ['credentials', 'https://user:secret@example.com/hook'],
  ['plain http', 'http://example.com/hook'],
  ['another scheme', 'file:///etc/passwd'],
  ['gopher', 'gopher://example.com/'],
  ['not a URL', 'not a url'],
  ['broadcast', 'https://255.255.255.255/'],
  ['multicast', 'https://224.0.0.1/'],
] as const;

describe('callbackUrl SSRF rules (submit time)', () => {
  it('has at least 20 hostile URLs', () => expect(HOSTILE.length).toBeGreaterThanOrEqual(20));

  it.each(HOSTILE)('refuses %s: %s', (_name, url) => {
    expect(callbackUrlViolation(url)).toBeDefined();
  });

  it.each(['https://example.com/hooks', 'https://hooks.example.co.uk:8443/a?b=c', 'https://93.184.216.34/hook', 'https://[2606:4700::1111]/'])(
    'accepts the public %s',
    (url) => expect(callbackUrlViolation(url)).toBeUndefined(),
  );

  it('the local stack flag admits loopback receivers only, over http or https', () => {
    const local = { allowLoopback: true };
    for (const url of ['http://127.0.0.1:8080/hooks', 'http://localhost:3000/x', 'http://[::1]:9/', 'https://127.0.0.1/']) {
      expect(callbackUrlViolation(url, local)).toBeUndefined();
      expect(callbackUrlViolation(url)).toBeDefined();
    }
    for (const url of ['http://10.0.0.1/', 'http://169.254.169.254/', 'http://example.com/', 'https://user:x@127.0.0.1/']) {
      expect(callbackUrlViolation(url, local)).toBeDefined();
    }
  });

  it('isPublicAddress: unicast only', () => {
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('[2001:4860:4860::8888]')).toBe(true);
    expect(isPublicAddress('192.168.0.1')).toBe(false);
    expect(isPublicAddress('[::ffff:8.8.8.8]')).toBe(false);
    expect(isPublicAddress('example.com')).toBe(false);
  });
});

describe('retry schedule', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const noJitter = () => 0;

  it('is the Standard Webhooks schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    expect(DEFAULT_RETRY_DELAYS).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
  });

  it('2xx delivers; 410 stops for good; no response retries', () => {
    expect(nextStep(1, { statusCode: 204 }, now)).toMatchObject({ action: 'done', state: { status: 'delivered', attempts: 1, lastStatusCode: 204 } });
    expect(nextStep(3, { statusCode: 410 }, now)).toMatchObject({ action: 'done', state: { status: 'failed', attempts: 3, lastStatusCode: 410 } });
    const refused = nextStep(1, {}, now, DEFAULT_RETRY_DELAYS, noJitter);
    expect(refused).toEqual({
      action: 'retry',
      delaySeconds: 5,
      state: { status: 'pending', attempts: 1, lastAttemptAt: now.toISOString(), nextAttemptAt: '2026-01-01T00:00:05.000Z' },
    });
  });

  it.each([429, 500, 502, 503, 504, 400, 301])('%i retries on the schedule', (statusCode) => {
    expect(nextStep(2, { statusCode }, now, DEFAULT_RETRY_DELAYS, noJitter)).toMatchObject({ action: 'retry', delaySeconds: 300 });
  });

  it('jitter adds up to 20 %; a longer Retry-After wins, up to an hour', () => {
    expect(nextStep(2, { statusCode: 500 }, now, DEFAULT_RETRY_DELAYS, () => 0.999)).toMatchObject({ delaySeconds: 360 });
    expect(nextStep(1, { statusCode: 429, retryAfterSeconds: 120 }, now, DEFAULT_RETRY_DELAYS, noJitter)).toMatchObject({ delaySeconds: 120 });
    expect(nextStep(2, { statusCode: 503, retryAfterSeconds: 10 }, now, DEFAULT_RETRY_DELAYS, noJitter)).toMatchObject({ delaySeconds: 300 });
    // Retry-After: 999999 parks the delivery for an hour, not 12 h.
    expect(nextStep(1, { statusCode: 503, retryAfterSeconds: 999_999 }, now, DEFAULT_RETRY_DELAYS, noJitter)).toMatchObject({
      delaySeconds: MAX_RETRY_AFTER_SECONDS,
      state: { nextAttemptAt: '2026-01-01T01:00:00.000Z' },
    });
    // The schedule's own 10 h steps stay as they are (a Retry-After does not shorten them).
    expect(nextStep(6, { statusCode: 503, retryAfterSeconds: 10 ** 6 }, now, DEFAULT_RETRY_DELAYS, noJitter)).toMatchObject({ delaySeconds: 36_000 });
  });

  it('an address refused at dial time (or a URL the rules refuse) is final: failed, with the reason, no retry', () => {
    for (const reason of ['blocked-address', 'refused-url'] as const) {
      expect(nextStep(1, { reason }, now)).toEqual({
        action: 'done',
        state: { status: 'failed', attempts: 1, lastAttemptAt: now.toISOString(), reason },
      });
    }
    // Nobody listening, or too slow, may change: those retry.
    for (const reason of ['network', 'timeout'] as const) expect(nextStep(1, { reason }, now).action).toBe('retry');
  });

  it('a retry waits as a chain of delayed messages of 15 minutes at most: never a long invisibility', () => {
    const delays = [...DEFAULT_RETRY_DELAYS, MAX_DELAY_SECONDS, MAX_RETRY_AFTER_SECONDS, 0, 1, 899, 900, 901];
    for (const delay of delays) {
      const hop = queueDelaySeconds(delay);
      expect(hop).toBeGreaterThanOrEqual(0);
      expect(hop).toBeLessThanOrEqual(MAX_QUEUE_DELAY_SECONDS);
      expect(hop).toBe(Math.min(delay, 900));
    }
    // The whole 10 h step is covered by 40 hops, each re-sent when it arrives early.
    const pending = { status: 'pending' as const, attempts: 5, nextAttemptAt: new Date(now.getTime() + 36_000_000).toISOString() };
    let at = now.getTime();
    let hops = 0;
    while (secondsUntilDue(pending, new Date(at)) > 0) {
      at += queueDelaySeconds(secondsUntilDue(pending, new Date(at))) * 1000;
      hops++;
    }
    expect(hops).toBe(40);
    expect(secondsUntilDue({ status: 'delivered', attempts: 1 }, now)).toBe(0);
  });

  it('after the last scheduled retry: dead-letter, failed', () => {
    expect(nextStep(8, { statusCode: 500 }, now)).toMatchObject({ action: 'dead-letter', state: { status: 'failed', attempts: 8 } });
    expect(nextStep(4, { statusCode: 500 }, now, [1, 2, 4])).toMatchObject({ action: 'dead-letter' });
  });

  it('Retry-After: seconds or an HTTP date; garbage ignored', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('1e9', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('LONGRUN_WEBHOOK_RETRY_DELAYS replaces the schedule; malformed values are refused', () => {
    expect(parseRetryDelays('1,2,4')).toEqual([1, 2, 4]);
    expect(parseRetryDelays(undefined)).toBe(DEFAULT_RETRY_DELAYS);
    expect(() => parseRetryDelays('1,x')).toThrow(/LONGRUN_WEBHOOK_RETRY_DELAYS/);
    expect(() => parseRetryDelays('50000')).toThrow();
  });
});

describe('the event', () => {
  const task: TaskRecord = aTask({
    id: '01a2174d-76a8-7ce0-8331-e6898b0b5bf0',
    type: 'fail',
    status: 'failed',
    input: '{}',
    updatedAt: '2026-01-01T00:00:02.000Z',
    completedAt: '2026-01-01T00:00:01.000Z',
    error: JSON.stringify({ Error: 'TaskFailed', Cause: 'boom' }),
    callbackUrl: 'https://example.com/h',
    callback: { status: 'pending', attempts: 2 },
    version: 5,
    ttl: 0,
  });

  it('type task.<status>, timestamp = completion, data = the representation without the delivery state', () => {
    const event = webhookEvent(task, toRepresentation(task, '/v1', 3600));
    expect(event.type).toBe('task.failed');
    expect(event.timestamp).toBe(task.completedAt);
    expect(event.data).toMatchObject({ id: task.id, status: 'failed', error: { detail: 'boom' } });
    expect('callback' in event.data).toBe(false);
    expect(() => webhookEvent({ ...task, status: 'running' }, toRepresentation(task, '/v1', 3600))).toThrow(/not terminal/);
  });

  it('webhook-id: task id and terminal version, so every retry carries the same id', () => {
    expect(webhookId({ taskId: task.id, version: 3 })).toBe(`msg_${task.id}_3`);
  });

  it('the representation shows callback pending before any attempt, and only with a callbackUrl', () => {
    expect(toRepresentation({ ...task, callback: undefined }, '/v1', 3600).callback).toEqual({ status: 'pending', attempts: 0 });
    expect(toRepresentation({ ...task, callbackUrl: undefined, callback: undefined }, '/v1', 3600).callback).toBeUndefined();
  });
});

describe('stream filters (applied by the local event filter, as the mapping would)', () => {
  const image = (status: TaskStatus | undefined, extra: Record<string, unknown> = {}) => ({
    id: { S: 't' },
    ...(status && { status: { S: status } }),
    ...extra,
  });
  const modify = (from: TaskStatus, to: TaskStatus, extra: Record<string, unknown> = {}) => ({
    eventName: 'MODIFY',
    dynamodb: { OldImage: image(from, extra), NewImage: image(to, extra) },
  });
  const withCallback = { callbackUrl: { S: 'https://example.com/h' } };

  it('webhooks: non-terminal -> terminal with a callbackUrl only (without callbackEvents)', () => {
    const f = webhookFilters();
    for (const from of ['pending', 'running'] as const) {
      for (const to of ['succeeded', 'failed', 'cancelled'] as const) expect(passesFilters(f, modify(from, to, withCallback))).toBe(true);
    }
    expect(passesFilters(f, modify('running', 'succeeded'))).toBe(false); // no callbackUrl
    expect(passesFilters(f, modify('succeeded', 'succeeded', withCallback))).toBe(false); // a delivery-state write
    expect(passesFilters(f, modify('pending', 'running', withCallback))).toBe(false);
    expect(passesFilters(f, modify('running', 'running', withCallback))).toBe(false); // progress
    expect(passesFilters(f, { eventName: 'INSERT', dynamodb: { NewImage: image('pending', withCallback) } })).toBe(false);
    expect(passesFilters(f, { eventName: 'REMOVE', dynamodb: { OldImage: image('failed', withCallback) } })).toBe(false);
  });

  it('webhooks: any write of a running task whose callback subscribed to an event before the outcome', () => {
    const f = webhookFilters();
    const subscribed = (kinds: string[]) => ({ ...withCallback, callbackEvents: { L: kinds.map((S) => ({ S })) } });
    expect(passesFilters(f, modify('running', 'running', subscribed(['progress', 'completed'])))).toBe(true);
    expect(passesFilters(f, modify('pending', 'running', subscribed(['started'])))).toBe(true);
    expect(passesFilters(f, modify('running', 'running', subscribed(['input_required'])))).toBe(true);
    expect(passesFilters(f, modify('running', 'running', subscribed(['completed'])))).toBe(false);
    expect(passesFilters(f, modify('running', 'running', subscribed([])))).toBe(false);
    expect(passesFilters(f, modify('pending', 'pending', subscribed(['progress'])))).toBe(false);
    expect(passesFilters(f, modify('running', 'running', { callbackEvents: { L: [{ S: 'progress' }] } }))).toBe(false); // no callbackUrl
  });

  it('events: running tasks pass for task.progress (the publisher tells a report from other writes)', () => {
    const f = progressFilters();
    expect(passesFilters(f, modify('running', 'running'))).toBe(true);
    expect(passesFilters(f, modify('pending', 'running'))).toBe(false);
    expect(passesFilters(f, modify('failed', 'failed'))).toBe(false);
  });

  it('events: inserts and status changes, never progress, delivery state, claims or secrets', () => {
    const f = statusChangeFilters();
    expect(passesFilters(f, { eventName: 'INSERT', dynamodb: { NewImage: image('pending') } })).toBe(true);
    expect(passesFilters(f, modify('pending', 'running'))).toBe(true);
    expect(passesFilters(f, modify('pending', 'cancelled'))).toBe(true);
    expect(passesFilters(f, modify('running', 'failed'))).toBe(true);
    expect(passesFilters(f, modify('failed', 'pending'))).toBe(true); // a retry
    expect(passesFilters(f, modify('running', 'running'))).toBe(false);
    expect(passesFilters(f, modify('failed', 'failed', withCallback))).toBe(false);
    expect(passesFilters(f, { eventName: 'INSERT', dynamodb: { NewImage: image(undefined, { taskId: { S: 'x' } }) } })).toBe(false);
    expect(passesFilters(f, { eventName: 'INSERT', dynamodb: { NewImage: image(undefined, { secret: { S: 'whsec_x' } }) } })).toBe(false);
  });

  it('the local matcher refuses operators it does not know, instead of passing everything', () => {
    expect(() => passesFilters([{ a: [{ numeric: ['>', 1] }] }], { a: 2 })).toThrow(/not supported/);
  });
});
