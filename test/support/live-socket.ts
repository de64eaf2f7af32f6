/**
 * A live-channel connection for tests, with the `ws` package (a refused handshake's HTTP status is
 * visible, which a browser's WebSocket hides): the messages as they arrive, awaited one by one.
 */
import WebSocket from 'ws';

export interface LiveSocket {
  /** Every message received so far, parsed. */
  readonly received: any[];
  /** The next message (in arrival order) matching `matches`, within `timeoutMs`. */
  next(matches?: (message: any) => boolean, timeoutMs?: number): Promise<any>;
  send(message: unknown): void;
  /** `{ action: 'subscribe', … }`, then its answer. */
  subscribe(request?: { taskId?: string; since?: number }): Promise<any>;
  /** A clean close. */
  close(): Promise<void>;
  /** The connection drops (no close handshake), as a network failure would. */
  drop(): Promise<void>;
}

/** Connects to `url`: the open connection, or the status the handshake was refused with. */
export function openLive(url: string): Promise<LiveSocket | { refused: number }> {
  const socket = new WebSocket(url);
  const received: any[] = [];
  let read = 0;
  const waiters: Array<() => void> = [];
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('message', (data) => {
    received.push(JSON.parse(data.toString()));
    for (const wake of waiters.splice(0)) wake();
  });
  const live: LiveSocket = {
    received,
    async next(matches = () => true, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (read < received.length) {
          const message = received[read++];
          if (matches(message)) return message;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching live message within ${timeoutMs} ms; received: ${JSON.stringify(received).slice(-1500)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    send: (message) => socket.send(JSON.stringify(message)),
    subscribe(request = {}) {
      live.send({ action: 'subscribe', ...request });
      return live.next();
    },
    async close() {
      socket.close(1000);
      await closed;
    },
    async drop() {
      socket.terminate();
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(live));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ refused: response.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

/** `openLive`, failing the test unless the connection opens. */
export async function connectLive(url: string): Promise<LiveSocket> {
  const live = await openLive(url);
  if ('refused' in live) throw new Error(`the live channel refused the connection: ${live.refused}`);
  return live;
}
