// A batch as newline-delimited JSON for the generic HTTP sink: each line as it is when it is a
// JSON object, else {"message": line}. Pure; one buffer, no intermediate strings.
import { renderJsonEvent, type LogLine } from '../log-line.ts';

export function renderNdjson(lines: readonly LogLine[]): Buffer {
  const events = lines.map(renderJsonEvent); // the line's own string for JSON lines: nothing copied
  let total = 0;
  for (const e of events) total += Buffer.byteLength(e, 'utf8') + 1;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const e of events) {
    at += out.write(e, at, 'utf8');
    out[at++] = 0x0a;
  }
  return out;
}
