/** The timing of live status (long poll and event stream), in one pure module the benchmark reads too. */

/**
 * Re-read interval of long polls and event streams: a change reaches the client within a quarter
 * of a second (`progressReporter` writes at most once a second, so every write is seen). A re-read
 * is a small probe of the owner index, the task read only on a change (bench/live.ts prices it
 * against the Lambda's own duration).
 */
export const WATCH_INTERVAL_MS = 250;
/** A comment line this often keeps proxies and API Gateway's idle timeout from closing a quiet stream. */
export const PING_INTERVAL_MS = 15_000;
/** A stream ends itself before the 15 minutes Lambda and API Gateway allow a response; clients reconnect. */
export const MAX_STREAM_MS = 14 * 60_000;
/** The `retry:` hint: how long a client waits before it reconnects. */
export const RECONNECT_MS = 1_000;
