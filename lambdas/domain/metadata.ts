/**
 * Metadata: the caller's own tags on a task, set at submit and shown in the representation,
 * webhooks and events; listings filter on them (`metadata.<key>=<value>`). Pure.
 */

/** At most this many pairs. */
export const METADATA_MAX_PAIRS = 16;
/** Keys: 1 to 64 letters, digits, `_`, `.` or `-`. */
const METADATA_KEY_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';
/** Values: strings of at most this many characters. */
export const METADATA_MAX_VALUE_LENGTH = 512;

/** The JSON Schema of `metadata` in a submission (the submit function validates with it; the OpenAPI document shows it). */
export const METADATA_SCHEMA = {
  type: 'object',
  description: `The caller's tags: at most ${METADATA_MAX_PAIRS} pairs, keys of 1-64 letters, digits, \`_\`, \`.\` or \`-\`, string values of at most ${METADATA_MAX_VALUE_LENGTH} characters. Returned with the task, in webhooks and events; \`GET /tasks?metadata.<key>=<value>\` filters on them.`,
  maxProperties: METADATA_MAX_PAIRS,
  propertyNames: { pattern: METADATA_KEY_PATTERN },
  additionalProperties: { type: 'string', maxLength: METADATA_MAX_VALUE_LENGTH },
} as const;

export function isMetadataKey(key: string): boolean {
  return new RegExp(METADATA_KEY_PATTERN).test(key);
}
