/**
 * `Prefer: wait=N` (RFC 7240 §4.3): how long the client is willing to wait for a change. A
 * preference the server cannot understand is ignored, as the RFC requires: a malformed or
 * missing `wait` means "do not wait", never a 400.
 */
import { MAX_WAIT_SECONDS } from '#api/routes';

/** The `wait` preference in seconds, clamped to [0, MAX_WAIT_SECONDS]; undefined when absent or malformed. */
export function preferredWait(header: string | undefined): number | undefined {
  if (!header) return undefined;
  // preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] ), comma-separated.
  for (const preference of header.split(',')) {
    const [first] = preference.split(';');
    const match = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(?:=\s*(?:"([^"]*)"|([^\s";]*)))?\s*$/.exec(first ?? '');
    if (!match || match[1]!.toLowerCase() !== 'wait') continue;
    const value = match[2] ?? match[3] ?? '';
    // delta-seconds = 1*DIGIT; the first `wait` wins, even if malformed (then it is ignored).
    if (!/^\d{1,10}$/.test(value)) return undefined;
    return Math.min(MAX_WAIT_SECONDS, Number(value));
  }
  return undefined;
}
