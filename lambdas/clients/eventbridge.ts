/** One EventBridge client per container, reused across invocations. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CLIENT_OPTIONS } from '#clients/timeouts';

export const eventbridge = new EventBridgeClient(CLIENT_OPTIONS);
