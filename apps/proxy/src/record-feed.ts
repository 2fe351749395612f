// The access-log records as a live feed for the admin server: the last few for the dashboard, and
// subscribers for `GET /tap`. With no subscriber, publishing costs one ring-buffer store.
import type { AccessLogRecord } from '@outrigger/telemetry';

export interface RecordFeed {
  publish(record: AccessLogRecord): void;
  recent(): AccessLogRecord[];
  subscribe(listener: (record: AccessLogRecord) => void): () => void;
  readonly subscribers: number;
}

export function createRecordFeed(keep = 50): RecordFeed {
  const ring: AccessLogRecord[] = [];
  let next = 0;
  const listeners = new Set<(record: AccessLogRecord) => void>();
  return {
    publish(record) {
      ring[next] = record;
      next = (next + 1) % keep;
      for (const listener of listeners) listener(record);
    },
    recent: () => [...ring.slice(next), ...ring.slice(0, next)].filter(Boolean).reverse(),
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    get subscribers() {
      return listeners.size;
    },
  };
}
