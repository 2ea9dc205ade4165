/**
 * The live feed: `GET /api/events` (Server-Sent Events, cookie auth) fanned out to the views. The
 * server sends `request` (sampled under load), `tick` (exact counts, every second), `flag`,
 * `unflag`, `block`, `unblock`, `allow`, `disallow`, and keep-alive pings.
 */
import type { EcsRecord, Flag, TargetEvent, TickEvent } from './types.js';

export interface LiveEventMap {
  request: EcsRecord;
  tick: TickEvent;
  flag: Flag;
  unflag: Flag;
  block: TargetEvent;
  unblock: TargetEvent;
  allow: TargetEvent;
  disallow: TargetEvent;
}

export type LiveEventType = keyof LiveEventMap;

/** `live`: connected; `connecting`: first attempt or retrying; `offline`: stopped. */
export type LiveStatus = 'connecting' | 'live' | 'offline';

const EVENT_TYPES: readonly LiveEventType[] = [
  'request',
  'tick',
  'flag',
  'unflag',
  'block',
  'unblock',
  'allow',
  'disallow',
];
/**
 * Nothing heard for this long (ticks come every second, pings every 15 s): the connection is
 * presumed dead and reopened.
 */
const SILENCE_MS = 45_000;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

type Listener<K extends LiveEventType> = (data: LiveEventMap[K]) => void;

export interface LiveEventsOptions {
  url?: string;
  /**
   * Called before reconnecting after the stream closed: an authenticated request whose 401 signs
   * the operator out (EventSource cannot see status codes).
   */
  checkSession: () => Promise<unknown>;
}

export class LiveEvents {
  readonly #url: string;
  readonly #checkSession: () => Promise<unknown>;
  readonly #listeners = new Map<LiveEventType, Set<Listener<LiveEventType>>>();
  readonly #statusListeners = new Set<(status: LiveStatus) => void>();
  #source: EventSource | undefined;
  #status: LiveStatus = 'offline';
  #retryMs = RETRY_MIN_MS;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #silenceTimer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #ticking = false;

  constructor(options: LiveEventsOptions) {
    this.#url = options.url ?? '/api/events';
    this.#checkSession = options.checkSession;
  }

  get status(): LiveStatus {
    return this.#status;
  }

  /**
   * True once the server has sent a `tick`: counters should then add up ticks, not `request`
   * events (which the server samples under load).
   */
  get ticking(): boolean {
    return this.#ticking;
  }

  /** Subscribes to one event type; returns the unsubscribe function. */
  on<K extends LiveEventType>(type: K, listener: Listener<K>): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener as Listener<LiveEventType>);
    return () => set.delete(listener as Listener<LiveEventType>);
  }

  /** Subscribes to connection status changes (called once at once with the current status). */
  onStatus(listener: (status: LiveStatus) => void): () => void {
    this.#statusListeners.add(listener);
    listener(this.#status);
    return () => this.#statusListeners.delete(listener);
  }

  /** Opens the stream (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#retryMs = RETRY_MIN_MS;
    this.#open();
  }

  /** Closes the stream and stops reconnecting. */
  stop(): void {
    this.#running = false;
    this.#close();
    clearTimeout(this.#retryTimer);
    this.#setStatus('offline');
  }

  #open(): void {
    this.#close();
    this.#setStatus('connecting');
    const source = new EventSource(this.#url);
    this.#source = source;
    source.addEventListener('open', () => {
      this.#retryMs = RETRY_MIN_MS;
      this.#setStatus('live');
      this.#heard();
    });
    source.addEventListener('ping', () => this.#heard());
    source.addEventListener('message', () => this.#heard());
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (event) => {
        this.#heard();
        if (type === 'tick') this.#ticking = true;
        this.#dispatch(type, (event as MessageEvent<string>).data);
      });
    }
    source.addEventListener('error', () => {
      // CONNECTING: the browser retries by itself. CLOSED: it gave up (e.g. a 401): we retry.
      if (source.readyState === EventSource.CLOSED) this.#retry();
      else this.#setStatus('connecting');
    });
  }

  #close(): void {
    clearTimeout(this.#silenceTimer);
    this.#source?.close();
    this.#source = undefined;
  }

  #retry(): void {
    this.#close();
    if (!this.#running) return;
    this.#setStatus('connecting');
    clearTimeout(this.#retryTimer);
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
    this.#retryTimer = setTimeout(() => {
      this.#checkSession().then(
        () => this.#running && this.#open(),
        // A 401 has signed the operator out (stop() was called); otherwise the server is away: retry later.
        () => this.#retry(),
      );
    }, delay);
  }

  #heard(): void {
    clearTimeout(this.#silenceTimer);
    this.#silenceTimer = setTimeout(() => this.#retry(), SILENCE_MS);
  }

  #dispatch(type: LiveEventType, data: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch (error) {
      console.warn(`ipwarden: ignoring a ${type} event that is not JSON`, error);
      return;
    }
    for (const listener of this.#listeners.get(type) ?? []) {
      try {
        listener(parsed as LiveEventMap[LiveEventType]);
      } catch (error) {
        console.error(`ipwarden: a ${type} listener failed`, error);
      }
    }
  }

  #setStatus(status: LiveStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    for (const listener of this.#statusListeners) listener(status);
  }
}
