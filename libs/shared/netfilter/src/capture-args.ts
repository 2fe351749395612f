// CaptureSpec <-> the init container's argument list. toArgs writes every flag, defaults included,
// in a fixed order, so a pod's manifest says exactly what its init container did; fromArgs reads
// them back and fromArgs(toArgs(spec)) equals spec.
import { CAPTURE_FIELDS, defaultCaptureSpec, validateCaptureSpec, type CaptureField, type CaptureSpec } from './capture-spec.ts';

export type CaptureArgsParse = { ok: true; spec: CaptureSpec } | { ok: false; problems: string[] };

export function toArgs(spec: CaptureSpec): string[] {
  // An empty list is written as an empty value ('--exclude-inbound-ports' ''), not left out:
  // leaving it out would read back as the default, which is the same today but not by contract.
  return CAPTURE_FIELDS.flatMap((field) => [field.flag, renderValue(spec, field)]);
}

/**
 * Reads `--flag value` and `--flag=value`. Flags left out keep their defaults; `--ipv6` alone means
 * true. Every problem is reported (unknown flag, repeated flag, bad value, then the spec's own).
 */
export function fromArgs(args: readonly string[]): CaptureArgsParse {
  const spec = defaultCaptureSpec();
  const problems: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const token = args[i] ?? '';
    if (!token.startsWith('--')) {
      problems.push(`unexpected argument ${JSON.stringify(token)}`);
      continue;
    }
    const eq = token.indexOf('=');
    const flag = eq < 0 ? token : token.slice(0, eq);
    let value = eq < 0 ? undefined : token.slice(eq + 1);
    const field = CAPTURE_FIELDS.find((f) => f.flag === flag);
    const next = args[i + 1];
    const nextIsValue = next !== undefined && !next.startsWith('--');
    if (field === undefined) {
      problems.push(`unknown flag ${flag}`);
      if (value === undefined && nextIsValue) i++; // its value is not a second problem
      continue;
    }
    // There are no positional arguments, so a token after a flag that is no flag is its value;
    // a bare boolean flag (`--ipv6 --dry-run`) means true.
    if (value === undefined && nextIsValue) value = args[++i];
    else if (value === undefined && field.kind === 'bool') value = 'true';
    if (seen.has(flag)) problems.push(`${flag}: given twice`);
    seen.add(flag);
    if (value === undefined) problems.push(`${flag}: needs a value`);
    else problems.push(...parseValue(spec, field, value));
  }
  if (problems.length === 0) problems.push(...validateCaptureSpec(spec));
  return problems.length === 0 ? { ok: true, spec } : { ok: false, problems };
}

function renderValue(spec: CaptureSpec, field: CaptureField): string {
  switch (field.kind) {
    case 'port':
    case 'id':
      return String(spec[field.key]);
    case 'ports':
      return spec[field.key].join(',');
    case 'cidrs':
      return spec[field.key].join(',');
    case 'bool':
      return String(spec[field.key]);
  }
}

/** Sets the field from its text; returns the problems (none when it was set). */
function parseValue(spec: CaptureSpec, field: CaptureField, value: string): string[] {
  switch (field.kind) {
    case 'port':
    case 'id': {
      if (!/^\d{1,10}$/.test(value)) return [`${field.flag}: ${JSON.stringify(value)} is not a whole number`];
      spec[field.key] = Number(value);
      return [];
    }
    case 'ports': {
      const items = splitList(value);
      const bad = items.filter((item) => !/^\d{1,5}$/.test(item));
      if (bad.length > 0) return bad.map((item) => `${field.flag}: ${JSON.stringify(item)} is not a port (1-65535)`);
      spec[field.key] = items.map(Number);
      return [];
    }
    case 'cidrs': {
      const items = splitList(value);
      if (items.includes('')) return [`${field.flag}: ${JSON.stringify(value)} has an empty entry`];
      spec[field.key] = items;
      return [];
    }
    case 'bool': {
      if (value !== 'true' && value !== 'false') return [`${field.flag}: ${JSON.stringify(value)} is not true or false`];
      spec[field.key] = value === 'true';
      return [];
    }
  }
}

// Spaces after commas are forgiven: annotation values are often written "22, 8081".
function splitList(value: string): string[] {
  return value.trim() === '' ? [] : value.split(',').map((item) => item.trim());
}
