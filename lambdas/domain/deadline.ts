/**
 * Deadlines: `Cancel-After` on submit gives the task a `deadline`; a task not finished by then ends
 * `failed` with `deadline-exceeded` (a one-time schedule per attempt fires it, see
 * `lib/task-api/deadlines.ts`). Parsing the header, the deadline itself, and its problem. Pure.
 */
import { problemObject, problems } from './errors.ts';

/** `Cancel-After`: whole seconds (`90`), or hours, minutes and seconds in that order (`90s`, `5m`, `2h`, `1h30m`, `1h0m5s`). */
const DURATION = /^(?:(\d{1,7})|(?:(\d{1,5})h)?(?:(\d{1,7})m)?(?:(\d{1,9})s)?)$/;

/**
 * The seconds a `Cancel-After` value stands for; a 400 naming the header unless it is a duration of
 * at least 1 s and at most `maxSeconds` (the execution timeout).
 */
export function parseCancelAfter(raw: string | undefined, maxSeconds: number): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const match = DURATION.exec(text);
  const invalid = () =>
    problems.invalidParameter('Cancel-After', `must be a duration of 1 s to ${maxSeconds} s: whole seconds (90) or e.g. 90s, 5m, 2h, 1h30m`);
  if (!match || text === '') throw invalid();
  const [, plain, h, m, s] = match;
  const seconds = plain !== undefined ? Number(plain) : Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > maxSeconds) throw invalid();
  return seconds;
}

/** The deadline `seconds` after `now` (epoch ms), RFC 3339 UTC, whole seconds (schedules have second precision). */
export function deadlineAfter(now: number, seconds: number): string {
  return new Date(Math.ceil(now / 1000) * 1000 + seconds * 1000).toISOString();
}

/** Whether a deadline has passed. */
export function isPastDeadline(deadline: string | undefined, now: number = Date.now()): boolean {
  return deadline !== undefined && Date.parse(deadline) <= now;
}

/** The `error` of a task that missed its deadline. */
export function deadlineExceededProblem() {
  return problemObject('deadline-exceeded', 'The task did not finish by its deadline (Cancel-After).');
}
