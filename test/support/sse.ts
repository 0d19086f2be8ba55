/**
 * The one SSE reader of the tests: `GET /operations/{id}/events` read to its end (the service closes
 * the stream after its `end` event) or for a fixed time (a live operation's stream does not end by
 * itself), and parsed into events. Comments (`: keep-alive`) are dropped.
 */

export interface SseEvent {
  id?: number;
  event: string;
  /** The `data` line parsed as JSON (the service always sends JSON), or the raw text if it is not. */
  data?: any;
}

export interface SseStream {
  status: number;
  /** The Content-Type header. */
  type: string | null;
  /** The raw body read (for secret scans). */
  text: string;
  events: SseEvent[];
}

/** Parses SSE text into events; an incomplete last block is ignored. */
export function parseSse(text: string): SseEvent[] {
  const blocks = text.split("\n\n");
  blocks.pop(); // the part after the last blank line: incomplete, or empty
  const events: SseEvent[] = [];
  for (const block of blocks) {
    if (block === "" || block.startsWith(":")) continue;
    const ev: SseEvent = { event: "message" };
    for (const line of block.split("\n")) {
      const at = line.indexOf(": ");
      const [k, v] = at < 0 ? [line, ""] : [line.slice(0, at), line.slice(at + 2)];
      if (k === "id") ev.id = Number(v);
      else if (k === "event") ev.event = v;
      else if (k === "data") {
        try {
          ev.data = JSON.parse(v);
        } catch {
          ev.data = v;
        }
      }
    }
    events.push(ev);
  }
  return events;
}

export interface ReadSseOptions {
  /** Bearer token (a token's secret, not its role). */
  token?: string;
  headers?: Record<string, string>;
  /** Read to the end of the stream; past this, the read fails. Default 10 s. */
  timeoutMs?: number;
  /** Instead: read for this long and return what came (for a stream that stays open). */
  forMs?: number;
}

/** Reads an SSE stream: to its end (`timeoutMs`), or for `forMs`. */
export async function readSse(url: string, o: ReadSseOptions = {}): Promise<SseStream> {
  const ctl = new AbortController();
  const timer = setTimeout(() => {
    ctl.abort();
  }, o.forMs ?? o.timeoutMs ?? 10_000);
  const headers = { ...(o.token !== undefined ? { authorization: `Bearer ${o.token}` } : {}), ...(o.headers ?? {}) };
  let text = "";
  try {
    const res = await fetch(url, { headers, signal: ctl.signal }).catch((err: unknown) => {
      // No answer within `forMs`: nothing came.
      if (o.forMs !== undefined && ctl.signal.aborted) return undefined;
      throw err;
    });
    if (!res) return { status: 0, type: null, text, events: [] };
    if (res.body) {
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
        }
      } catch (err) {
        if (o.forMs === undefined || !ctl.signal.aborted) throw err;
      }
    }
    return { status: res.status, type: res.headers.get("content-type"), text, events: parseSse(text) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Follows a live stream, calling `check` with every event seen so far after each chunk: resolves
 * as soon as `check` says so (`reached`), or when the stream ends or `timeoutMs` passes first. For
 * acting at an exact point of an operation (a kill), without the delay of polling.
 */
export async function followSse(url: string, o: { token: string; timeoutMs?: number }, check: (events: SseEvent[]) => boolean): Promise<{ reached: boolean; events: SseEvent[] }> {
  const ctl = new AbortController();
  const timer = setTimeout(() => { ctl.abort(); }, o.timeoutMs ?? 300_000);
  let text = "";
  let events: SseEvent[] = [];
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${o.token}` }, signal: ctl.signal });
    if (!res.body) return { reached: false, events };
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { reached: check(events), events };
      text += decoder.decode(value, { stream: true });
      events = parseSse(text);
      if (check(events)) {
        ctl.abort();
        return { reached: true, events };
      }
    }
  } catch (err) {
    if (ctl.signal.aborted) return { reached: check(events), events };
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
