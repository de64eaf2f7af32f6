/**
 * The event source mappings' filter patterns over the task table's stream, derived from the
 * transition table so they cannot drift from it. Lambda's filters see the stream record
 * (`eventName`, `dynamodb.OldImage`/`NewImage` in attribute-value form). Idempotency claims and
 * webhook secrets (and leases and live items) have no `status`, and delivery-state writes keep the
 * status, so none pass.
 */

import { CALLBACK_EVENT_KINDS, isTerminal, TASK_STATUSES, type TaskStatus, TERMINAL_STATUSES } from './task.ts';
import { ALLOWED_FROM } from './transitions.ts';

export type FilterPattern = Record<string, unknown>;

const statusIs = (statuses: readonly TaskStatus[]) => ({ status: { S: [...statuses] } });

/**
 * Webhooks: a non-terminal -> terminal write of a task that has a `callbackUrl`, and any write of a
 * running task whose callback subscribed to events before the outcome (`callbackEvents` holds one of
 * them; the forwarder tells which write is an event, see `webhookEventsOf`).
 */
export function webhookFilters(): FilterPattern[] {
  return [
    {
      eventName: ['MODIFY'],
      dynamodb: {
        OldImage: statusIs(TASK_STATUSES.filter((s) => !isTerminal(s))),
        NewImage: { ...statusIs(TERMINAL_STATUSES), callbackUrl: { S: [{ exists: true }] } },
      },
    },
    {
      eventName: ['MODIFY'],
      dynamodb: {
        NewImage: {
          ...statusIs(['running']),
          callbackUrl: { S: [{ exists: true }] },
          callbackEvents: { L: { S: CALLBACK_EVENT_KINDS.filter((kind) => kind !== 'completed') } },
        },
      },
    },
  ];
}

/**
 * Events for servers, `task.progress`: a write of a running task that was running before too (the
 * publisher tells a progress report from other writes, and keeps at most one per 5-second window).
 */
export function progressFilters(): FilterPattern[] {
  return [{ eventName: ['MODIFY'], dynamodb: { OldImage: statusIs(['running']), NewImage: statusIs(['running']) } }];
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
 * The events reader (bus events, and with the live channel its fan-out): every new task, every write
 * of an open task (its transitions, progress for `task.progress` and the live channel, input waits;
 * the function tells them apart) and every retry of an ended one. Three filters, where
 * `statusChangeFilters` + `progressFilters` would take six: Lambda takes five per event source
 * mapping unless the account's quota is raised. Writes to an ended task (webhook attempts) and items
 * that are not tasks never pass.
 */
export function publisherFilters(): FilterPattern[] {
  const open = TASK_STATUSES.filter((s) => !isTerminal(s));
  const reopened = TASK_STATUSES.filter((from) => isTerminal(from) && TASK_STATUSES.some((to) => ALLOWED_FROM[to].includes(from)));
  const targets = TASK_STATUSES.filter((to) => reopened.some((from) => ALLOWED_FROM[to].includes(from)));
  return [
    { eventName: ['INSERT'], dynamodb: { NewImage: statusIs(TASK_STATUSES) } },
    { eventName: ['MODIFY'], dynamodb: { OldImage: statusIs(open), NewImage: statusIs(TASK_STATUSES) } },
    ...(reopened.length > 0 ? [{ eventName: ['MODIFY'], dynamodb: { OldImage: statusIs(reopened), NewImage: statusIs(targets) } }] : []),
  ];
}
