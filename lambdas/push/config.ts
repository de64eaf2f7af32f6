/** Environment of the push functions, read and validated once per cold start. */
import { STAGE_NAME } from '#api/routes';
import { parseRetryDelays } from '#domain/webhook';

/** A variable the construct always sets for the function that reads it. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}

export const pushConfig = Object.freeze({
  /** Replaces the Standard Webhooks schedule (local stack and tests: `1,2,4`). */
  retryDelays: parseRetryDelays(process.env.LONGRUN_WEBHOOK_RETRY_DELAYS),
  /** The prefix of the links in a pushed representation, as the API hands them out. */
  basePath: `/${STAGE_NAME}`,
});
