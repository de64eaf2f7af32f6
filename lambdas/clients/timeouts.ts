/**
 * Request timeouts for every SDK client: a hung socket fails in seconds and is retried by the
 * SDK (standard mode, 3 attempts), instead of eating the whole Lambda timeout.
 */
export const REQUEST_HANDLER = { connectionTimeout: 1_000, requestTimeout: 3_000 } as const;
export const MAX_ATTEMPTS = 3;
