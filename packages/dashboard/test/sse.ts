/** One parsed Server-Sent Event. */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads an event stream until `done(events)` holds (or times out), then stops reading. */
export async function readEvents(
  response: Response,
  done: (events: SseEvent[]) => boolean,
  timeoutMs = 5000,
): Promise<{ events: SseEvent[]; raw: string }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let raw = '';
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  try {
    while (!done(events)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching events within ${timeoutMs} ms; got: ${raw.slice(0, 2000)}`);
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`stream silent for ${timeoutMs} ms; got: ${raw.slice(0, 2000)}`)),
            left,
          ),
        ),
      ]);
      if (chunk.done) break;
      const text = decoder.decode(chunk.value, { stream: true });
      raw += text;
      buffer += text;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { event: 'message', data: '' };
        let hasField = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') event.id = value;
          else if (field === 'event') event.event = value;
          else if (field === 'data') event.data += value;
          else continue;
          hasField = true;
        }
        if (hasField) events.push(event);
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return { events, raw };
}
