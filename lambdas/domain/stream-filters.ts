/**
 * The event source mappings' filter patterns over the task table's stream, derived from the
 * transition table so they cannot drift from it. Lambda's filters see the stream record
 * (`eventName`, `dynamodb.OldImage`/`NewImage` in attribute-value form). Idempotency claims and
 * webhook secrets (and leases and live items) have no `status`, and delivery-state writes keep the
 * status, so none pass.
 */

import { FOLLOWED_ATTRIBUTE } from './live.ts';
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
 * The events reader with the live channel (which shares it: a stream serves two readers per shard,
 * and these are the webhook forwarder and this one): every status change, plus any other write to
 * an open task that a live connection follows (`followedUntil`, set when it subscribes), such as a
 * progress report. Progress of a task nobody follows never invokes the reader; writes to a terminal
 * task (webhook attempts) never pass, so a follower gets exactly one `done`.
 */
export function taskChangeFilters(): FilterPattern[] {
  const open = TASK_STATUSES.filter((s) => !isTerminal(s));
  return [
    ...statusChangeFilters(),
    {
      eventName: ['MODIFY'],
      dynamodb: { OldImage: statusIs(open), NewImage: { ...statusIs(open), [FOLLOWED_ATTRIBUTE]: { N: [{ exists: true }] } } },
    },
  ];
}
