// WebSocket { action: 'subscribe', taskId?, since? } --> subscribe (token scope, the caller's task) --> the current state, or `subscribed`

import { messageRoute } from '#live/live-handler';
import { subscribe } from '#service/live';

export const handler = messageRoute((event) => subscribe(event.requestContext.connectionId, event.body));
