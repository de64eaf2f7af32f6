/** One EventBridge client per container, reused across invocations. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

export const eventbridge = new EventBridgeClient({});
