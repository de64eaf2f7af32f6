/**
 * A worker starts waiting for input: the `awaitInput` state invokes this with its task token; the
 * wait (and the token, never shown) is recorded on the task in one conditional write, which also
 * makes a pending task running and appends `input_required`. The state then waits for the token.
 */
import { historyEntry } from '#domain/history';
import { awaitInputExpression } from '#domain/input';
import type { AwaitedInput } from '#domain/task';
import { logger } from '#observability/logger';
import { conditionalUpdate } from '#store/task-store';

/** What the state sends (see `awaitInput` in lib/task-api/await-input.ts). */
export interface AwaitInputEvent {
  taskId: string;
  attempt: number;
  token: string;
  name: string;
  prompt?: string;
  /** The JSON Schema of the input, as JSON text (or an object). */
  schema?: string | Record<string, unknown>;
  /** The state's TimeoutSeconds, if it has one: the wait's `expiresAt`. */
  timeoutSeconds?: number;
}

/** Thrown when the wait cannot be recorded: the state fails, and the task with it (its message is shown). */
class TaskFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskFailed';
  }
}

export async function recordWait(event: AwaitInputEvent, now: Date = new Date()): Promise<void> {
  const since = now.toISOString();
  const schema = typeof event.schema === 'string' ? (JSON.parse(event.schema) as Record<string, unknown>) : event.schema;
  const wait: AwaitedInput = {
    name: event.name,
    ...(event.prompt !== undefined && { prompt: String(event.prompt) }),
    ...(schema !== undefined && { schema }),
    since,
    ...(event.timeoutSeconds !== undefined && { expiresAt: new Date(now.getTime() + event.timeoutSeconds * 1000).toISOString() }),
  };
  const outcome = await conditionalUpdate(event.taskId, awaitInputExpression(), {
    ':awaitingInput': wait,
    ':token': event.token,
    ':now': since,
    ':attempt': event.attempt,
    ':history': historyEntry('input_required', 'running', since, event.name),
  });
  if (outcome.ok) {
    logger.info('Waiting for input', { taskId: event.taskId, input: event.name });
    return;
  }
  const current = outcome.current;
  // Ended or retried meanwhile: its execution is being stopped; nothing waits for this input.
  if (!current || (current.status !== 'pending' && current.status !== 'running') || (current.attempt ?? 1) !== event.attempt) {
    logger.warn('Input awaited by an attempt that is over', { taskId: event.taskId });
    return;
  }
  throw new TaskFailed('The task asked for input too many times.');
}
