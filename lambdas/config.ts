/** Environment, read and validated once per cold start. */

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}

function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`environment variable ${name} must be a positive integer, got ${raw}`);
  return value;
}

function json<T>(name: string, fallback: T): T {
  const raw = process.env[name];
  if (!raw) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new Error(`environment variable ${name} must be JSON`);
  }
}

export const config = Object.freeze({
  tableName: required('TABLE_NAME'),
  /** How long a terminal task stays readable. */
  retentionSeconds: seconds('TASK_RETENTION_SECONDS', 7 * 24 * 3600),
  /** The state machine's timeout: a task cannot stay non-terminal longer (bounds the row's TTL). */
  executionTimeoutSeconds: seconds('EXECUTION_TIMEOUT_SECONDS', 3600),
  idempotencyTtlSeconds: seconds('IDEMPOTENCY_TTL_SECONDS', 24 * 3600),
  /** Task types accepted on submit: `{ [type]: JSON Schema of its input }` (submit function only). */
  taskTypes: json<Record<string, Record<string, unknown>>>('TASK_TYPES', {}),
  /** Local stack only (never set by the construct): callbacks to http://127.0.0.1 / localhost are accepted. */
  allowLoopbackCallbacks: process.env.ALLOW_LOOPBACK_CALLBACKS === '1',
  corsAllowOrigins: (process.env.CORS_ALLOW_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean),
});
