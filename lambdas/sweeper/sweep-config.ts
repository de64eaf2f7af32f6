/** The sweeper's environment, read and validated once per cold start. */

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`environment variable ${name} must be a positive integer, got ${raw}`);
  return value;
}

export const sweepConfig = Object.freeze({
  /** An open task is checked once it has waited this long since submit (or since its last check). */
  ageSeconds: positiveInt('SWEEP_AGE_SECONDS', 300),
  /** Index page size. */
  pageSize: positiveInt('SWEEP_PAGE_SIZE', 50),
  /** At most this many tasks per run; the rest wait for the next run (they stay due). */
  maxTasks: positiveInt('SWEEP_MAX_TASKS', 1000),
  /** Stop starting new work this long before the invocation's deadline. */
  safetyMs: positiveInt('SWEEP_SAFETY_MS', 5_000),
});
