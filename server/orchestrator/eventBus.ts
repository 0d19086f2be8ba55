/**
 * In-process fan-out of stored events to live SSE clients. Events are stored first (they get their
 * id there), then published; a client that connects late reads the store, then follows the bus.
 */
import { EventEmitter } from "node:events";
import type { EventRecord } from "../../domain/model";

export type BusMessage = { type: "event"; event: EventRecord } | { type: "end"; status: string };

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(operationId: string, message: BusMessage): void {
    this.emitter.emit(operationId, message);
  }

  /** Returns the unsubscribe function. */
  subscribe(operationId: string, listener: (m: BusMessage) => void): () => void {
    this.emitter.on(operationId, listener);
    return () => {
      this.emitter.off(operationId, listener);
    };
  }

  listenerCount(operationId: string): number {
    return this.emitter.listenerCount(operationId);
  }
}
