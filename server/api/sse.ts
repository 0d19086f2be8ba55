/**
 * `GET /operations/{id}/events`: Server-Sent Events. Replays stored events after `Last-Event-ID`
 * (or `?after=`), then follows live ones; ends with an `end` event once the operation finishes.
 * Subscribes before reading the store so nothing falls between replay and live.
 */
import type { Request, Response } from "express";
import type { BusMessage, EventBus } from "../orchestrator/eventBus";
import { ACTIVE_STATUSES, type EventRecord, type OperationSummaryRecord } from "../../domain/model";
import type { Store } from "../store/store";
import { toEventView } from "./views";

/** An operation in any other status has ended (it may be retried, which starts a new stream). */
const ACTIVE = new Set<string>(ACTIVE_STATUSES);
const FINAL_KINDS = new Set(["operation.finished", "operation.interrupted"]);

export async function streamEvents(
  req: Request,
  res: Response,
  op: OperationSummaryRecord,
  afterId: number,
  deps: { store: Store; bus: EventBus; heartbeatMs?: number },
): Promise<void> {
  res.status(200);
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("Connection", "keep-alive");
  res.setHeader("X-Accel-Buffering", "no");
  res.flushHeaders();

  let lastId = afterId;
  let lastKind = "";
  const state = { closed: false };
  let replaying = true;
  const buffered: BusMessage[] = [];

  const send = (e: EventRecord): void => {
    if (state.closed || e.id <= lastId) return;
    lastId = e.id;
    lastKind = e.kind;
    res.write(`id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(toEventView(e))}\n\n`);
  };
  const end = (status: string): void => {
    if (state.closed) return;
    res.write(`event: end\ndata: ${JSON.stringify({ status })}\n\n`);
    close();
  };
  const onMessage = (m: BusMessage): void => {
    if (replaying) {
      buffered.push(m);
      return;
    }
    if (m.type === "event") send(m.event);
    else end(m.status);
  };
  const unsubscribe = deps.bus.subscribe(op.id, onMessage);
  const heartbeat = setInterval(() => {
    if (!state.closed) res.write(": keep-alive\n\n");
  }, deps.heartbeatMs ?? 15_000);
  let graceTimer: NodeJS.Timeout | undefined;
  function close(): void {
    if (state.closed) return;
    state.closed = true;
    unsubscribe();
    clearInterval(heartbeat);
    if (graceTimer) clearTimeout(graceTimer);
    res.end();
  }
  req.on("close", close);

  // A store that cannot be read closes the stream without `end`: the client resumes from its last id.
  let current: OperationSummaryRecord | undefined;
  try {
    for (;;) {
      const page = await deps.store.listEvents(op.id, lastId, 500);
      page.forEach(send);
      if (page.length < 500 || state.closed) break;
    }
    replaying = false;
    for (const m of buffered.splice(0)) onMessage(m);
    if (state.closed) return;
    current = await deps.store.getOperationSummary(op.id);
  } catch (err) {
    close();
    throw err;
  }
  if (current && !ACTIVE.has(current.status)) {
    if (FINAL_KINDS.has(lastKind)) {
      end(current.status);
      return;
    }
    // Finished, but its final event may still be on its way: give the bus a moment, then re-read.
    const status = current.status;
    graceTimer = setTimeout(() => {
      // A store that cannot be read now closes the stream without `end`, as above.
      Promise.resolve()
        .then(() => deps.store.listEvents(op.id, lastId, 500))
        .then((rest) => {
          rest.forEach(send);
          end(status);
        })
        .catch(() => {
          close();
        });
    }, 1000);
  }
}
