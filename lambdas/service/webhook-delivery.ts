/**
 * The delivery use case: one attempt to POST a task's event to its callback URL, signed with the
 * owner's secret(s), and the attempt recorded on the task (`callback`, which follows the newest
 * event attempted). Idempotent per message: an event delivered (or refused with 410), superseded by
 * a newer one, or about a task that moved on is skipped, and two copies of a message cannot both
 * record the same attempt. `task.progress` is sent at most once per 5 s per task: a message that
 * comes too soon waits for the slot, and then sends the progress of that moment.
 */
import { Webhook } from 'standardwebhooks';
import { type PostOptions, postWebhook } from '#clients/webhook-post';
import { config } from '#config';
import { isWaiting } from '#domain/input';
import { toRepresentation } from '#domain/representation';
import { isTerminal, type TaskRecord } from '#domain/task';
import {
  type DeliveryMessage,
  eventSequence,
  isRetried,
  type NextStep,
  nextStep,
  PROGRESS_EVENT_INTERVAL_SECONDS,
  PROGRESS_EVENTS,
  progressEventExpression,
  secondsUntilDue,
  WEBHOOK_USER_AGENT,
  webhookEvent,
  webhookId,
} from '#domain/webhook';
import { logger } from '#observability/logger';
import { PEER_METRICS } from '#observability/metric-names';
import { countTask } from '#service/task-metrics';
import { conditionalUpdate, getTask, recordCallback } from '#store/task-store';
import { getOrCreateSecret, signingSecrets } from '#store/webhook-secret-store';

/** What became of a message: an attempt's next step, a skip, or `wait` (the next attempt, or the progress slot, is not due yet: send it on). */
export type DeliveryResult = NextStep | { action: 'skip'; why: string } | { action: 'wait'; dueInSeconds: number; attempts: number };

export function isDeliveryMessage(value: unknown): value is DeliveryMessage {
  const m = value as DeliveryMessage;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.taskId === 'string' &&
    Number.isInteger(m.version) &&
    (m.event === undefined || (PROGRESS_EVENTS as readonly string[]).includes(m.event)) &&
    (m.attempts === undefined || (Number.isInteger(m.attempts) && m.attempts >= 0))
  );
}

/** Why an event is not (or no longer) sent, or undefined when it is due. */
function staleness(task: TaskRecord, message: DeliveryMessage): string | undefined {
  if (!message.event) return isTerminal(task.status) ? undefined : 'the task is not terminal';
  if (task.status !== 'running') return 'the task moved on';
  if (message.event === 'task.input_required' && !isWaiting(task.awaitingInput)) return 'no input is awaited any more';
  return undefined;
}

/** Claims the task's progress slot, or says how long until it is free. */
async function progressSlot(task: TaskRecord, message: DeliveryMessage, now: number): Promise<{ delaySeconds: number } | 'skip' | 'claimed'> {
  const slot = task.progressEvent;
  if (slot && slot.version >= message.version) return 'skip';
  const windowStart = now - PROGRESS_EVENT_INTERVAL_SECONDS * 1000;
  if (slot && Date.parse(slot.at) > windowStart) return { delaySeconds: Math.max(1, Math.ceil((Date.parse(slot.at) - windowStart) / 1000)) };
  const claim = await conditionalUpdate(task.id, progressEventExpression(), {
    ':slot': { at: new Date(now).toISOString(), version: task.version },
    ':windowStart': new Date(windowStart).toISOString(),
    ':version': task.version,
  });
  return claim.ok ? 'claimed' : { delaySeconds: PROGRESS_EVENT_INTERVAL_SECONDS };
}

export async function deliver(message: DeliveryMessage, postOptions: PostOptions = {}): Promise<DeliveryResult> {
  // Strongly consistent: the delivery must see the write that triggered it.
  const task = await getTask(message.taskId, { consistent: true });
  if (!task?.callbackUrl || task.purgedAt) return { action: 'skip', why: 'no task with a callback' };
  const stale = staleness(task, message);
  if (stale) return { action: 'skip', why: stale };
  const seq = eventSequence(message);
  const previous = task.callback;
  // This event's own state (a retry), or none yet; a callback recorded before events had `seq` is the outcome's.
  const own = previous && (previous.seq === seq || (previous.seq === undefined && !message.event)) ? previous : undefined;
  if (previous && !own && previous.seq !== undefined && previous.seq > seq) return { action: 'skip', why: 'a newer event was sent' };
  // Delivered, or refused for good (410): done. A `failed` callback whose schedule ran out is
  // attempted again only when its message comes back, i.e. was redriven from the dead-letter queue.
  if (own?.status === 'delivered' || (own?.status === 'failed' && (own.lastStatusCode === 410 || own.reason !== undefined))) {
    return { action: 'skip', why: `callback already ${own.status}` };
  }
  // A copy of a message (SQS delivers at least once) that another copy has overtaken: drop it, so
  // copies never multiply into parallel chains of retries.
  if (own?.status === 'pending' && (message.attempts ?? 0) !== own.attempts) {
    return { action: 'skip', why: 'a later attempt superseded this message' };
  }
  const dueInSeconds = secondsUntilDue(own, new Date());
  if (dueInSeconds > 0) return { action: 'wait', dueInSeconds, attempts: own?.attempts ?? 0 };
  if (message.event === 'task.progress') {
    const slot = await progressSlot(task, message, Date.now());
    if (slot === 'skip') return { action: 'skip', why: 'a newer progress was sent' };
    if (slot !== 'claimed') return { action: 'wait', dueInSeconds: slot.delaySeconds, attempts: own?.attempts ?? 0 };
  }

  const id = webhookId(message);
  const representation = toRepresentation(task, config.apiBaseUrl, config.retentionSeconds, { inputCapabilityKey: config.inputCapabilityKey });
  const event = webhookEvent(task, representation, message.event);
  const body = JSON.stringify(event);
  const secrets = signingSecrets(await getOrCreateSecret(task.owner));
  const sentAt = new Date();
  const headers = {
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    // During a rotation's overlap both secrets sign, space-separated (Standard Webhooks).
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(id, sentAt, body)).join(' '),
  };
  const outcome = await postWebhook(task.callbackUrl, body, headers, { allowLoopback: config.allowLoopbackCallbacks, ...postOptions });
  const attempt = (own?.attempts ?? 0) + 1;
  // A `task.progress` is never retried: the next one (or the outcome) is on its way.
  const step = nextStep(attempt, outcome, new Date(), isRetried(message.event) ? config.webhookRetryDelays : []);
  const state = { ...step.state, event: event.type };
  const written = await recordCallback(task.id, state, seq, own?.attempts ?? 0);
  if (!written.ok) return { action: 'skip', why: 'another copy of this delivery recorded the attempt, or a newer event was sent' };
  // Never the URL, the body, the receiver's answer or a secret: the task id, the attempt, a status code.
  logger.info('webhook attempt', {
    taskId: task.id,
    webhookId: id,
    event: event.type,
    attempt,
    statusCode: outcome.statusCode,
    reason: outcome.reason,
    next: step.action,
  });
  if (state.status === 'delivered') countTask(PEER_METRICS.webhookDelivered, task.type);
  if (state.status === 'failed') countTask(PEER_METRICS.webhookDeliveryFailed, task.type);
  // A progress event that failed is done with, not dead-lettered.
  return message.event === 'task.progress' && step.action === 'dead-letter' ? { action: 'done', state } : { ...step, state };
}
