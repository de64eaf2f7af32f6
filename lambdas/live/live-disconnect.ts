// WebSocket $disconnect --> disconnect: subscriptions removed, the held-connection slot given back

import { connectionRoute } from '#live/live-handler';
import { disconnect } from '#service/live';

export const handler = connectionRoute((event) => disconnect(event.requestContext.connectionId));
