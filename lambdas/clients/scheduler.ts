/** One EventBridge Scheduler client per container, created on first use (only submit and retry schedule deadlines). */
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { CLIENT_OPTIONS } from '#clients/timeouts';

let client: SchedulerClient | undefined;

export function scheduler(): SchedulerClient {
  client ??= new SchedulerClient(CLIENT_OPTIONS);
  return client;
}
