/**
 * Task types and the JSON Schema of each one's `input`. The construct passes the schemas it is
 * given to the submit function (`TASK_TYPES`), so a platform team declares its own types in CDK.
 */
type JsonSchema = Record<string, unknown>;
export type TaskTypeSchemas = Record<string, JsonSchema>;
