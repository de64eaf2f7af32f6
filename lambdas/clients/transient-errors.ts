/**
 * AWS errors a later attempt may not see: throttling, 5xx, timeouts and network failures. The one
 * list: the HTTP error path answers them with 503 (+ Retry-After), submit keeps a task open for them.
 */
const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'TooManyRequestsException',
  'ExecutionLimitExceeded',
  'KmsThrottlingException',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TimeoutError',
  'RequestTimeout',
  'AbortError',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** True for an error that retrying may cure; anything else (validation, access denied, a bug) fails again. */
export function isTransientAwsError(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $fault?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e) return false;
  if (e.$fault === 'server' || e.$retryable !== undefined) return true;
  if (TRANSIENT_NAMES.has(e.name ?? '') || NETWORK_CODES.has(e.code ?? '')) return true;
  // An SDK error without an HTTP status: the request never got an answer.
  return e.$metadata !== undefined && e.$metadata.httpStatusCode === undefined;
}
