/**
 * Webhooks, the pure part: the event a terminal task sends, its stable id, the retry schedule and
 * what one attempt's outcome means for the next. No I/O; `#service/webhook-delivery` does the sending.
 */

import type { TaskRepresentation } from './representation.ts';
import { type CallbackEventKind, type CallbackState, isTerminal, type TaskRecord } from './task.ts';
import type { TransitionExpression } from './update-expression.ts';

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

/** The events before the outcome a callback may subscribe to (`callbackEvents`). */
export const PROGRESS_EVENTS = ['task.running', 'task.progress', 'task.input_required'] as const;
export type ProgressEventType = (typeof PROGRESS_EVENTS)[number];
/** Every event type a webhook (and the event bus) carries. */
type WebhookEventType = ProgressEventType | 'task.succeeded' | 'task.failed' | 'task.cancelled';

/** The `callbackEvents` value that subscribes to each event before the outcome. */
const SUBSCRIPTION: Record<ProgressEventType, CallbackEventKind> = {
  'task.running': 'started',
  'task.progress': 'progress',
  'task.input_required': 'input_required',
};

/** `task.progress` webhooks: the first at once, then at most one per this many seconds per task. */
export const PROGRESS_EVENT_INTERVAL_SECONDS = 5;

/**
 * What the queue carries: which task, at which version (the event's identity), and which event
 * before the outcome (absent: the terminal event, as before events were added).
 */
export interface DeliveryMessage {
  taskId: string;
  version: number;
  event?: ProgressEventType;
  /**
   * The attempts recorded on the task when this message was sent (absent: 0, from the forwarder).
   * A message whose count is behind the task's is a stale copy, and is dropped.
   */
  attempts?: number;
}

export interface WebhookEvent {
  type: WebhookEventType;
  timestamp: string;
  data: Omit<TaskRepresentation, 'callback'>;
}

/**
 * `webhook-id`: the same for every retry of one event, different for any other. A terminal event
 * keeps the form it always had; one write may cause two events (running and progress), so the
 * others name their type.
 */
export function webhookId(message: DeliveryMessage): string {
  return message.event
    ? `msg_${message.taskId}_${message.version}_${message.event.slice('task.'.length)}`
    : `msg_${message.taskId}_${message.version}`;
}

/** Orders a task's events (a later write, or the outcome after what came before it in one write): `callback` follows the newest. */
export function eventSequence(message: DeliveryMessage): number {
  const rank = message.event ? PROGRESS_EVENTS.indexOf(message.event) : PROGRESS_EVENTS.length;
  return message.version * (PROGRESS_EVENTS.length + 1) + rank;
}

/** Whether the task's callback receives `kind` (no `callbackEvents`: the outcome only). */
function isSubscribed(task: Pick<TaskRecord, 'callbackEvents'>, kind: CallbackEventKind): boolean {
  return (task.callbackEvents ?? ['completed']).includes(kind);
}

/**
 * The webhook events one write of a task with a `callbackUrl` causes, given the task before and
 * after it: the outcome (a move to a terminal status), `task.running` (pending to running),
 * `task.progress` (progress moved while running), `task.input_required` (a wait began); each only
 * if subscribed.
 */
export function webhookEventsOf(before: TaskRecord | undefined, after: TaskRecord): Array<ProgressEventType | 'outcome'> {
  if (!after.callbackUrl || !before) return [];
  const events: Array<ProgressEventType | 'outcome'> = [];
  if (isTerminal(after.status)) {
    if (!isTerminal(before.status) && isSubscribed(after, 'completed')) events.push('outcome');
    return events;
  }
  if (after.status !== 'running') return events;
  if (before.status === 'pending') events.push('task.running');
  const moved = before.progress?.percent !== after.progress?.percent || before.progress?.step !== after.progress?.step;
  if (moved) events.push('task.progress');
  if (after.awaitingInput && after.awaitingInput.since !== before.awaitingInput?.since) events.push('task.input_required');
  return events.filter((event) => event === 'outcome' || isSubscribed(after, SUBSCRIPTION[event]));
}

/**
 * The envelope of an event. `data` leaves out the delivery state, so every retry of a terminal
 * event carries the same body (only `webhook-timestamp` and the signature change); an event before
 * the outcome carries the task as it is when the attempt is made.
 */
export function webhookEvent(task: TaskRecord, representation: TaskRepresentation, event?: ProgressEventType): WebhookEvent {
  const { callback: _callback, ...data } = representation;
  if (event) return { type: event, timestamp: task.updatedAt, data };
  if (!isTerminal(task.status)) throw new Error(`task ${task.id} is ${task.status}, not terminal`);
  return { type: `task.${task.status as 'succeeded' | 'failed' | 'cancelled'}`, timestamp: task.completedAt ?? task.updatedAt, data };
}

/**
 * Claims the task's `task.progress` slot for `:version`: only one per PROGRESS_EVENT_INTERVAL_SECONDS
 * (`:windowStart` is that long ago) and only for a newer version than the last one sent. Bookkeeping:
 * `version` does not move.
 */
export function progressEventExpression(): TransitionExpression {
  return {
    set: ['#progressEvent = :slot'],
    remove: [],
    condition:
      'attribute_exists(#id) AND #status = :running AND (attribute_not_exists(#progressEvent) OR (#progressEvent.#at <= :windowStart AND #progressEvent.#version < :version))',
    names: { '#id': 'id', '#status': 'status', '#progressEvent': 'progressEvent', '#at': 'at', '#version': 'version' },
    values: { ':running': 'running' },
  };
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

/** Events before the outcome that are never retried: a newer `task.progress` (or the outcome) follows anyway. */
export function isRetried(event: ProgressEventType | undefined): boolean {
  return event !== 'task.progress';
}

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
