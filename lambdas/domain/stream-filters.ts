/**
 * The event source mappings' filter patterns over the task table's stream, derived from the
 * transition table so they cannot drift from it. Lambda's filters see the stream record
 * (`eventName`, `dynamodb.OldImage`/`NewImage` in attribute-value form). Idempotency claims and
 * webhook secrets (and leases and live items) have no `status`, and delivery-state writes keep the
 * status, so none pass.
 */
import { isTerminal, TASK_STATUSES, type TaskStatus, TERMINAL_STATUSES } from './task.ts';
import { ALLOWED_FROM } from './transitions.ts';

export type FilterPattern = Record<string, unknown>;

const statusIs = (statuses: readonly TaskStatus[]) => ({ status: { S: [...statuses] } });

/** Webhooks: a non-terminal -> terminal write of a task that has a `callbackUrl`. */
export function terminalTransitionFilters(): FilterPattern[] {
  return [
    {
      eventName: ['MODIFY'],
      dynamodb: {
        OldImage: statusIs(TASK_STATUSES.filter((s) => !isTerminal(s))),
        NewImage: { ...statusIs(TERMINAL_STATUSES), callbackUrl: { S: [{ exists: true }] } },
      },
    },
  ];
}

/** Events for servers: a new task, or a write that moved its status (one filter per `from`). */
export function statusChangeFilters(): FilterPattern[] {
  const filters: FilterPattern[] = [{ eventName: ['INSERT'], dynamodb: { NewImage: statusIs(TASK_STATUSES) } }];
  for (const from of TASK_STATUSES) {
    const to = TASK_STATUSES.filter((target) => ALLOWED_FROM[target].includes(from));
    if (to.length > 0) filters.push({ eventName: ['MODIFY'], dynamodb: { OldImage: statusIs([from]), NewImage: statusIs(to) } });
  }
  return filters;
}

/**
 * The live channel: every write a follower may see, progress included: a new task, and any write
 * to an open task (a progress report, a transition, a terminal write; one filter per `from`). Writes
 * to a terminal task (webhook attempts) never pass: a follower gets exactly one `done`.
 */
export function liveUpdateFilters(): FilterPattern[] {
  const filters: FilterPattern[] = [{ eventName: ['INSERT'], dynamodb: { NewImage: statusIs(TASK_STATUSES) } }];
  for (const from of TASK_STATUSES) {
    const to = TASK_STATUSES.filter((target) => (target === from && !isTerminal(from)) || ALLOWED_FROM[target].includes(from));
    if (to.length > 0) filters.push({ eventName: ['MODIFY'], dynamodb: { OldImage: statusIs([from]), NewImage: statusIs(to) } });
  }
  return filters;
}
