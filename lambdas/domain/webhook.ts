/**
 * Webhooks, the pure part: the event a terminal task sends, its stable id, the retry schedule and
 * what one attempt's outcome means for the next. No I/O; `#service/webhook-delivery` does the sending.
 */

import type { TaskRepresentation } from './representation.ts';
import { type CallbackState, isTerminal, type TaskRecord, type TaskStatus } from './task.ts';

/** The Standard Webhooks schedule, in seconds after the previous attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_DELAYS: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 36000];

/** The longest delay a retry schedule may name. */
export const MAX_DELAY_SECONDS = 12 * 3600;

/** A receiver's `Retry-After` is honoured up to an hour: a longer one must not park its delivery for days. */
export const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * The longest an SQS message may be delayed (DelaySeconds). A retry due later travels as a chain of
 * delayed re-sends, each at most this long: it is never an invisible in-flight message, so no
 * receiver can fill the queue's in-flight quota (about 120,000 for a standard queue).
 */
export const MAX_QUEUE_DELAY_SECONDS = 900;

export const WEBHOOK_USER_AGENT = 'Longrun-Webhooks/1';

/** What the queue carries: which task, at which terminal version (the event's identity). */
export interface DeliveryMessage {
  taskId: string;
  version: number;
  /**
   * The attempts recorded on the task when this message was sent (absent: 0, from the forwarder).
   * A message whose count is behind the task's is a stale copy, and is dropped.
   */
  attempts?: number;
}

export interface WebhookEvent {
  type: `task.${TaskStatus}`;
  timestamp: string;
  data: Omit<TaskRepresentation, 'callback'>;
}

/** `webhook-id`: the same for every retry of one terminal transition, different for any other. */
export function webhookId(message: DeliveryMessage): string {
  return `msg_${message.taskId}_${message.version}`;
}

/**
 * The envelope for a terminal task. `data` leaves out the delivery state, so every retry carries
 * the same body (only `webhook-timestamp` and the signature change).
 */
export function webhookEvent(task: TaskRecord, representation: TaskRepresentation): WebhookEvent {
  if (!isTerminal(task.status)) throw new Error(`task ${task.id} is ${task.status}, not terminal`);
  const { callback: _callback, ...data } = representation;
  return { type: `task.${task.status}`, timestamp: task.completedAt ?? task.updatedAt, data };
}

/** Why an attempt got no status code; never the receiver's words, which are not logged. */
type NoResponseReason = 'refused-url' | 'blocked-address' | 'timeout' | 'network';

/**
 * Reasons no retry can change: the URL breaks the callback rules, or its name resolved to an address
 * that is not public (the dial-time SSRF guard). Retrying would only knock on the same door.
 */
const PERMANENT_REASONS: readonly NoResponseReason[] = ['refused-url', 'blocked-address'];

/** One attempt, as seen by the sender. `statusCode` is absent when no response came (refused, timeout, blocked). */
export interface AttemptOutcome {
  statusCode?: number;
  /** Seconds from the response's `Retry-After`, if it had a valid one. */
  retryAfterSeconds?: number;
  /** Why no response came. */
  reason?: NoResponseReason;
}

export type NextStep =
  | { action: 'done'; state: CallbackState }
  | { action: 'retry'; delaySeconds: number; state: CallbackState }
  | { action: 'dead-letter'; state: CallbackState };

/**
 * What follows attempt number `attempt` (1-based): 2xx delivered; 410, or an address the SSRF guard
 * refused, stops for good; anything else retries after the schedule's delay (jittered up to +20 %),
 * or the receiver's `Retry-After` (at most an hour) if longer, until the schedule is used up, then
 * the dead-letter queue.
 */
export function nextStep(
  attempt: number,
  outcome: AttemptOutcome,
  now: Date,
  delays: readonly number[] = DEFAULT_RETRY_DELAYS,
  random: () => number = Math.random,
): NextStep {
  const base = {
    attempts: attempt,
    ...(outcome.statusCode !== undefined && { lastStatusCode: outcome.statusCode }),
    lastAttemptAt: now.toISOString(),
  };
  const code = outcome.statusCode;
  if (code !== undefined && code >= 200 && code < 300) return { action: 'done', state: { status: 'delivered', ...base } };
  if (code === 410) return { action: 'done', state: { status: 'failed', ...base } };
  if (outcome.reason && PERMANENT_REASONS.includes(outcome.reason))
    return { action: 'done', state: { status: 'failed', ...base, reason: outcome.reason } };
  const scheduled = delays[attempt - 1];
  if (scheduled === undefined) return { action: 'dead-letter', state: { status: 'failed', ...base } };
  const jittered = scheduled * (1 + 0.2 * random());
  const retryAfter = Math.min(outcome.retryAfterSeconds ?? 0, MAX_RETRY_AFTER_SECONDS);
  const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.ceil(Math.max(jittered, retryAfter)));
  const nextAttemptAt = new Date(now.getTime() + delaySeconds * 1000).toISOString();
  return { action: 'retry', delaySeconds, state: { status: 'pending', ...base, nextAttemptAt } };
}

/** `Retry-After` as seconds (RFC 9110: delay-seconds or an HTTP-date), or undefined if absent or invalid. */
export function parseRetryAfter(header: string | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text);
  const date = Date.parse(text);
  if (Number.isNaN(date) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

/** `LONGRUN_WEBHOOK_RETRY_DELAYS=1,2,4` (seconds) replaces the schedule; anything malformed is refused. */
export function parseRetryDelays(raw: string | undefined): readonly number[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_RETRY_DELAYS;
  const delays = raw.split(',').map((part) => Number(part.trim()));
  if (delays.some((d) => !Number.isInteger(d) || d < 0 || d > MAX_DELAY_SECONDS)) {
    throw new Error(`LONGRUN_WEBHOOK_RETRY_DELAYS must be comma-separated whole seconds (0..${MAX_DELAY_SECONDS}), got ${raw}`);
  }
  return delays;
}

/** How long to delay the message that carries a retry due in `dueInSeconds`: a hop of at most 15 minutes. */
export function queueDelaySeconds(dueInSeconds: number): number {
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(dueInSeconds)));
}

/**
 * A pending callback whose next attempt is not yet due: the seconds left (a message that arrives
 * early, at the end of one hop of a longer wait, goes back to the queue for the rest).
 */
export function secondsUntilDue(callback: CallbackState | undefined, now: Date): number {
  if (callback?.status !== 'pending' || !callback.nextAttemptAt) return 0;
  return Math.max(0, (Date.parse(callback.nextAttemptAt) - now.getTime()) / 1000);
}
