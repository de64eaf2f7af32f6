// WebSocket $connect (?token=) --> connect: the watch token, a held-connection slot (429 past the caller's cap) --> live store

import { connectionRoute } from '#live/live-handler';
import { connect } from '#service/live';

export const handler = connectionRoute((event) =>
  connect(event.requestContext.connectionId, event.queryStringParameters?.token, event.requestContext.connectedAt),
);
