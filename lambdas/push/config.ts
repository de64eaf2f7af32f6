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
  /** The API's base URL (absolute, like the links the API hands out); the construct sets it to the stage URL. */
  basePath: (process.env.API_BASE_URL || `/${STAGE_NAME}`).replace(/\/+$/, ''),
});
