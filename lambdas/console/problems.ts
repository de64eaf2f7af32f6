/**
 * Error answers as people read them: RFC 9457 problem details (every error the API sends), turned into a
 * heading, a sentence and what to do next. Pure; the views render what it returns.
 */

/** One offending field of a request (the API's `errors` extension). */
export interface FieldError {
  /** JSON Pointer into the request body, e.g. `/input/upTo`. */
  pointer: string;
  detail: string;
}

/** RFC 9457 problem details, as received (extension members included). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** An error answer, or a request that got none (`status` 0). */
export class ApiError extends Error {
  constructor(
    readonly problem: Problem,
    /** `Retry-After` of the answer, in seconds. */
    readonly retryAfter?: number,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
}

const STATUS_TITLES: Record<number, string> = {
  0: 'Could not reach the API',
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request too large',
  429: 'Too many requests',
  500: 'Server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

/** The problem an error answer carries; an answer without problem details (a proxy's page, say) is described, never shown. */
export function problemFrom(status: number, text: string): Problem {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && ('title' in parsed || 'type' in parsed)) {
      const problem = parsed as Problem;
      return { ...problem, status: typeof problem.status === 'number' ? problem.status : status };
    }
  } catch {
    // Not JSON: described below.
  }
  return { title: STATUS_TITLES[status] ?? `HTTP ${status}`, status, detail: `The API answered ${status} without problem details.` };
}

/** The problem of a request that got no answer. */
export function networkProblem(): Problem {
  return { title: STATUS_TITLES[0], status: 0, detail: 'The request got no answer. Check your connection, then try again.' };
}

export interface Explanation {
  heading: string;
  message: string;
  /** What to do about it. */
  hint?: string;
  fields: FieldError[];
}

/** A problem as a person reads it. */
export function explain(problem: Problem, retryAfter?: number): Explanation {
  const status = problem.status ?? 0;
  const heading = problem.title ?? STATUS_TITLES[status] ?? `HTTP ${status}`;
  let hint: string | undefined;
  if (status === 0) hint = 'Live updates resume by themselves once the API answers again.';
  else if (status === 401 || status === 403) hint = 'Check the API key: choose “Forget key” and enter it again.';
  else if (status === 404) hint = 'It does not exist, or it belongs to another caller.';
  else if (status === 410) hint = 'It passed its retention period, or it was purged.';
  else if (status === 429) hint = retryAfter ? `Try again in ${retryAfter} s.` : 'Wait a moment, then try again.';
  else if (status >= 500) hint = retryAfter ? `The service is busy: try again in ${retryAfter} s.` : 'Try again shortly.';
  const fields = Array.isArray(problem.errors) ? problem.errors.filter((e) => typeof e?.pointer === 'string' && typeof e?.detail === 'string') : [];
  return { heading, message: problem.detail ?? '', ...(hint && { hint }), fields };
}

/** `Retry-After` in seconds (an integer, or an HTTP date), if usable. */
export function retryAfterSeconds(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
