/**
 * Task types and the JSON Schema of each one's `input`. The construct passes the schemas it is
 * given to the submit function (`TASK_TYPES`), so a platform team declares its own types in CDK.
 */
/** A JSON Schema (draft 2020-12 keywords, checked by Ajv at submit). */
export type JsonSchema = Record<string, unknown>;
/** The accepted task types: `{ [type]: JSON Schema of its input }`. */
export type TaskTypeSchemas = Record<string, JsonSchema>;
