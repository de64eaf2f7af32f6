/**
 * A small reader for `text/event-stream` bodies (the WHATWG event stream format), for `fetch`
 * responses: no EventSource, so that requests can carry `x-api-key` and the caller's signal.
 */

export interface ServerSentEvent {
  /** `event:` (default `message`). */
  event: string;
  /** `id:` of this event, or the last one seen on the stream. */
  id?: string;
  data: string;
}

/** Yields each complete event of the stream; ends when the stream ends. Comments and `retry:` are skipped. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent, void, undefined> {
  // The cast: the DOM's types (the console bundles this reader) type the decoder's input as BufferSource.
  const reader = body.pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>).getReader();
  let buffer = '';
  let lastId: string | undefined;
  let event = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += value;
      for (let newline = buffer.search(/\r\n|\r|\n/); newline >= 0; newline = buffer.search(/\r\n|\r|\n/)) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length) yield { event: event || 'message', data: data.join('\n'), ...(lastId !== undefined && { id: lastId }) };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const fieldValue = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = fieldValue;
        else if (field === 'data') data.push(fieldValue);
        else if (field === 'id' && !fieldValue.includes('\0')) lastId = fieldValue;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
