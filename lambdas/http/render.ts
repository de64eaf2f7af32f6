/** A task as the API shows it, rendered with this deployment's settings (retention, the capability key of awaited input). */
import { config } from '#config';
import { type TaskRepresentation, toRepresentation } from '#domain/representation';
import type { TaskRecord } from '#domain/task';

export function renderTask(task: TaskRecord, baseUrl: string): TaskRepresentation {
  return toRepresentation(task, baseUrl, config.retentionSeconds, { inputCapabilityKey: config.inputCapabilityKey });
}
