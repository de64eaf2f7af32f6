/**
 * Request timeouts for every SDK client: a hung socket fails in seconds and is retried by the
 * SDK (standard mode, 3 attempts), instead of eating the whole Lambda timeout.
 */
// `throwOnRequestTimeout`: without it the current Node handler only logs a warning when `requestTimeout` passes.
const REQUEST_HANDLER = { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true } as const;
const MAX_ATTEMPTS = 3;

/** The options every client of this project is created with. */
export const CLIENT_OPTIONS = { maxAttempts: MAX_ATTEMPTS, requestHandler: REQUEST_HANDLER } as const;
