/**
 * The delivery use case: one attempt to POST a terminal task's event to its callback URL, signed
 * with the owner's secret(s), and the attempt recorded on the task. Idempotent per message: a task
 * whose callback is delivered (or refused with 410) is skipped, and two copies of a message cannot
 * both record the same attempt.
 */
import { Webhook } from 'standardwebhooks';
import { type PostOptions, postWebhook } from '#clients/webhook-post';
import { config } from '#config';
import { toRepresentation } from '#domain/representation';
import { isTerminal } from '#domain/task';
import { type DeliveryMessage, type NextStep, nextStep, secondsUntilDue, WEBHOOK_USER_AGENT, webhookEvent, webhookId } from '#domain/webhook';
import { logger } from '#observability/logger';
import { PEER_METRICS } from '#observability/metric-names';
import { countTask } from '#service/task-metrics';
import { getTask, recordCallback } from '#store/task-store';
import { getOrCreateSecret, signingSecrets } from '#store/webhook-secret-store';

/** What became of a message: an attempt's next step, a skip, or `wait` (the next attempt is not due yet: send it on). */
export type DeliveryResult = NextStep | { action: 'skip'; why: string } | { action: 'wait'; dueInSeconds: number; attempts: number };

export function isDeliveryMessage(value: unknown): value is DeliveryMessage {
  const m = value as DeliveryMessage;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.taskId === 'string' &&
    Number.isInteger(m.version) &&
    (m.attempts === undefined || (Number.isInteger(m.attempts) && m.attempts >= 0))
  );
}

export async function deliver(message: DeliveryMessage, postOptions: PostOptions = {}): Promise<DeliveryResult> {
  // Strongly consistent: the delivery must see the write that triggered it.
  const task = await getTask(message.taskId, { consistent: true });
  if (!task?.callbackUrl || !isTerminal(task.status)) return { action: 'skip', why: 'no terminal task with a callback' };
  const previous = task.callback;
  // Delivered, or refused for good (410): done. A `failed` callback whose schedule ran out is
  // attempted again only when its message comes back, i.e. was redriven from the dead-letter queue.
  if (previous?.status === 'delivered' || (previous?.status === 'failed' && (previous.lastStatusCode === 410 || previous.reason !== undefined))) {
    return { action: 'skip', why: `callback already ${previous.status}` };
  }
  // A copy of a message (SQS delivers at least once) that another copy has overtaken: drop it, so
  // copies never multiply into parallel chains of retries.
  if (previous?.status === 'pending' && (message.attempts ?? 0) !== previous.attempts) {
    return { action: 'skip', why: 'a later attempt superseded this message' };
  }
  const dueInSeconds = secondsUntilDue(previous, new Date());
  if (dueInSeconds > 0) return { action: 'wait', dueInSeconds, attempts: previous?.attempts ?? 0 };

  const id = webhookId(message);
  const body = JSON.stringify(webhookEvent(task, toRepresentation(task, config.apiBaseUrl, config.retentionSeconds)));
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
  const attempt = (previous?.attempts ?? 0) + 1;
  const step = nextStep(attempt, outcome, new Date(), config.webhookRetryDelays);
  const written = await recordCallback(task.id, step.state, previous?.attempts ?? 0);
  if (!written.ok) return { action: 'skip', why: 'another copy of this delivery recorded the attempt' };
  // Never the URL, the body, the receiver's answer or a secret: the task id, the attempt, a status code.
  logger.info('webhook attempt', {
    taskId: task.id,
    webhookId: id,
    attempt,
    statusCode: outcome.statusCode,
    reason: outcome.reason,
    next: step.action,
  });
  if (step.state.status === 'delivered') countTask(PEER_METRICS.webhookDelivered, task.type);
  if (step.state.status === 'failed') countTask(PEER_METRICS.webhookDeliveryFailed, task.type);
  return step;
}
