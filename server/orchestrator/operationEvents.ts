/**
 * Event ordering: each event of an operation is stored (masked), then published to live SSE
 * clients, one after another, so stored ids follow the order the events arrived in. Writes of one
 * operation form a chain; `settled` waits for it (before the stream's `end`, and at shutdown).
 */
import type { EngineEvent } from "../engine/stackRunner";
import type { Logger } from "../logger";
import type { SecretScrubber } from "../mask";
import type { Store } from "../store/store";
import type { EventBus } from "./eventBus";

export class OperationEvents {
  /** The last write of each operation that has one queued or in flight. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly o: { store: Store; bus: EventBus; logger: Logger; secrets: SecretScrubber },
  ) {}

  /** Stores the event after the operation's earlier ones, then publishes it. Never rejects. */
  emit(operationId: string, stepId: string | undefined, e: EngineEvent): Promise<void> {
    const write = async (): Promise<void> => {
      const stored = await this.o.store.appendEvent({
        operationId,
        stepId,
        kind: e.kind,
        message: this.o.secrets.scrub(e.message),
        urn: e.urn,
        op: e.op,
        severity: e.severity,
      });
      this.o.bus.publish(operationId, { type: "event", event: stored });
    };
    const previous = this.chains.get(operationId) ?? Promise.resolve();
    const next = previous.then(write).catch((err: unknown) => {
      this.o.logger.error({ operation: operationId, err: String(err) }, "could not store event");
    });
    this.chains.set(operationId, next);
    void next.then(() => {
      if (this.chains.get(operationId) === next) this.chains.delete(operationId);
    });
    return next;
  }

  /** Settles once every event of the operation emitted so far is stored and published. */
  settled(operationId: string): Promise<void> {
    return this.chains.get(operationId) ?? Promise.resolve();
  }

  /** Settles once every event emitted so far, of any operation, is stored and published. */
  async allSettled(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
  }
}
