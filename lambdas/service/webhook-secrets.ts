/**
 * A caller's webhook signing secret, as its owner sees it: the current value, and the previous
 * one only by its expiry (never its value). Created on first use; a rotation keeps the previous
 * secret signing for 24 hours.
 */
import { getOrCreateSecret, rotateSecret, type WebhookSecretRecord } from '#store/webhook-secret-store';

export interface WebhookSecretView {
  secret: string;
  createdAt: string;
  /** While the previous secret still signs alongside (24 h after a rotation). */
  previousSecretExpiresAt?: string;
}

function view(record: WebhookSecretRecord, now: number): WebhookSecretView {
  const overlapping = record.previousExpiresAt && Date.parse(record.previousExpiresAt) > now;
  return {
    secret: record.secret,
    createdAt: record.createdAt,
    ...(overlapping && { previousSecretExpiresAt: record.previousExpiresAt }),
  };
}

/** The caller's secret, created on first use. */
export async function webhookSecretOf(owner: string, now: Date = new Date()): Promise<WebhookSecretView> {
  return view(await getOrCreateSecret(owner, now), now.getTime());
}

/** A new secret for the caller; the previous one keeps signing for 24 h. */
export async function rotateWebhookSecret(owner: string, now: Date = new Date()): Promise<WebhookSecretView> {
  return view(await rotateSecret(owner, now), now.getTime());
}
