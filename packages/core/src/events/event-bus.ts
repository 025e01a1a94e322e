import { EventEmitter } from 'eventemitter3';

/** A map from event name to payload type, e.g. `{ 'indicator-added': IndicatorAddedEvent }`. */
export type EventMap = Record<string, unknown>;

/**
 * A typed publish/subscribe bus. Event names are noun-verb (`plugin-run-failed`,
 * `indicator-added`). A listener that throws does not stop the others; its error goes to
 * `onListenerError`.
 */
export interface EventBus<Events extends EventMap> {
  /** Subscribes; returns a function that unsubscribes. */
  on<Name extends keyof Events & string>(name: Name, listener: (payload: Events[Name]) => void): () => void;
  /** Subscribes for one event only. */
  once<Name extends keyof Events & string>(name: Name, listener: (payload: Events[Name]) => void): () => void;
  /** Delivers `payload` to every listener of `name`, synchronously. */
  emit<Name extends keyof Events & string>(name: Name, payload: Events[Name]): void;
  /** Removes every listener. */
  clear(): void;
}

/** Options of {@link createEventBus}. */
export interface EventBusOptions {
  /** Called when a listener throws. @default ignore */
  onListenerError?: (error: unknown, eventName: string) => void;
}

/**
 * Creates a typed event bus on eventemitter3.
 *
 * @example
 * ```ts
 * const bus = createEventBus<{ 'ticket-created': { id: string } }>();
 * bus.on('ticket-created', (e) => console.log(e.id));
 * bus.emit('ticket-created', { id: 'T-1' });
 * ```
 */
export function createEventBus<Events extends EventMap>(options: EventBusOptions = {}): EventBus<Events> {
  const emitter = new EventEmitter();
  const guard =
    <T>(name: string, listener: (payload: T) => void) =>
    (payload: T): void => {
      try {
        listener(payload);
      } catch (error) {
        options.onListenerError?.(error, name);
      }
    };
  return {
    on(name, listener) {
      const wrapped = guard(name, listener);
      emitter.on(name, wrapped);
      return () => emitter.off(name, wrapped);
    },
    once(name, listener) {
      const wrapped = guard(name, listener);
      emitter.once(name, wrapped);
      return () => emitter.off(name, wrapped);
    },
    emit(name, payload) {
      emitter.emit(name, payload);
    },
    clear() {
      emitter.removeAllListeners();
    },
  };
}
