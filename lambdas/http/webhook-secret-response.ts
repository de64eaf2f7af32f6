/** The webhook secret as its owner sees it: the current value; the previous one only by its expiry. */
import type { ApiResponse } from '#http/response';
import type { WebhookSecretRecord } from '#store/webhook-secret-store';

interface WebhookSecretRepresentation {
  secret: string;
  createdAt: string;
  /** While the previous secret still signs alongside (24 h after a rotation). */
  previousSecretExpiresAt?: string;
}

export function secretResponse(record: WebhookSecretRecord, now: number = Date.now()): ApiResponse {
  const overlapping = record.previousExpiresAt && Date.parse(record.previousExpiresAt) > now;
  const body: WebhookSecretRepresentation = {
    secret: record.secret,
    createdAt: record.createdAt,
    ...(overlapping && { previousSecretExpiresAt: record.previousExpiresAt }),
  };
  // no-store already comes with every response (commonHeaders): the secret is never cached.
  return { status: 200, body };
}
