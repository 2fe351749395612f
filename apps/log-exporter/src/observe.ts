// The one observer of tailer and shipper events: each becomes a log line, so neither logs on its
// own. Failures that repeat on a timer are said when they start or change, not at every retry.
import type { ShipEvent, TailEvent } from '@outrigger/logship';
import type { Logger } from '@outrigger/telemetry';

export interface Observer {
  tail(e: TailEvent): void;
  ship(e: ShipEvent): void;
}

export function createObserver(logger: Logger): Observer {
  let positionsError: string | undefined;
  return {
    tail(e) {
      switch (e.kind) {
        case 'file_opened':
          return logger.info({ path: e.path, offset: e.offset, resumed: e.resumed }, 'following file');
        case 'file_renamed':
        case 'file_gone':
        case 'file_closed':
          return logger.debug(e, e.kind.replace('_', ' '));
        case 'file_truncated':
          return logger.warn({ path: e.path }, 'file truncated in place; reading it again from its start');
        case 'position_reset':
          return logger.warn({ path: e.path, reason: e.reason }, 'saved position does not fit the file; reading it from its start');
        case 'lines_lost':
          return logger.warn({ path: e.path, lines: e.lines ?? null, bytes: e.bytes, reason: e.reason }, 'lines lost: the file went away before it was read');
        case 'too_many_files':
          return logger.warn({ path: e.path, max_open_files: e.maxOpenFiles }, 'too many files open; new files wait');
      }
    },
    ship(e) {
      switch (e.kind) {
        case 'send_failed':
          // Powers of two only: an aggregator down for an hour must not flood the log.
          if ((e.attempt & (e.attempt - 1)) === 0) logger.warn({ batch: e.seq, lines: e.lines, reason: e.reason, detail: e.detail ?? null, attempt: e.attempt, retry_in_ms: e.delayMs }, 'send failed; will retry');
          return;
        case 'send_recovered':
          return logger.info({ batch: e.seq, attempts: e.attempts }, 'sent after retries');
        case 'dead_lettered':
          return logger.warn({ batch: e.seq, lines: e.lines, reason: e.reason, detail: e.detail }, 'lines refused by the destination; written to the dead-letter file');
        case 'dead_letter_failed':
          return logger.error({ batch: e.seq, err: e.error.message }, 'cannot write the dead-letter file; the batch will be retried');
        case 'positions_write_failed':
          // Retried every positions.interval (each try counted in positions_writes_total): the
          // log says it once until the error changes or a write succeeds.
          if (e.error.message === positionsError) logger.debug({ err: e.error.message }, 'cannot write the positions file; will retry');
          else logger.error({ err: e.error.message }, 'cannot write the positions file; will retry');
          positionsError = e.error.message;
          return;
        case 'positions_write_recovered':
          positionsError = undefined;
          return logger.info({ failures: e.failures }, 'positions file written after failures');
      }
    },
  };
}
