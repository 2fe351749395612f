// RFC 6902 JSON Patch between two JSON values (planPatch) and its application (applyPatch), as
// Istio's webhook makes its patch: the diff of the pod before and after injection, so the patch
// can never disagree with injectPod. Arrays keep their common head and tail; what differs in
// between is matched from the end, because injection inserts at the front (init containers, the
// legacy sidecar) and changes elements in place (probes) without reordering them.

export type PatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'test'; path: string; value: unknown };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The ops share their values with `after` (no copies: the webhook serializes them at once). */
export function planPatch(before: unknown, after: unknown): PatchOperation[] {
  const ops: PatchOperation[] = [];
  diff(before as Json, after as Json, '', ops);
  return ops;
}

/** RFC 6901: `~` and `/` inside a key are escaped (annotation keys hold `/`). */
export function pointerSegment(key: string | number): string {
  return String(key).replaceAll('~', '~0').replaceAll('/', '~1');
}

function diff(a: Json, b: Json, path: string, ops: PatchOperation[]): void {
  if (deepEqual(a, b)) return;
  if (Array.isArray(a) && Array.isArray(b)) return diffArrays(a, b, path, ops);
  if (isObject(a) && isObject(b)) {
    for (const key of Object.keys(a)) if (!(key in b)) ops.push({ op: 'remove', path: `${path}/${pointerSegment(key)}` });
    for (const [key, value] of Object.entries(b)) {
      const at = `${path}/${pointerSegment(key)}`;
      if (key in a) diff(a[key] as Json, value, at, ops);
      else ops.push({ op: 'add', path: at, value });
    }
    return;
  }
  ops.push({ op: 'replace', path, value: b });
}

function diffArrays(a: Json[], b: Json[], path: string, ops: PatchOperation[]): void {
  let head = 0;
  while (head < a.length && head < b.length && deepEqual(a[head] as Json, b[head] as Json)) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && deepEqual(a[a.length - 1 - tail] as Json, b[b.length - 1 - tail] as Json)) tail++;
  const oldMiddle = a.length - head - tail;
  const newMiddle = b.length - head - tail;
  // Removing at one index repeatedly takes out a run; inserting in order at rising indexes adds one.
  for (let i = 0; i < oldMiddle - newMiddle; i++) ops.push({ op: 'remove', path: `${path}/${head}` });
  const inserted = Math.max(0, newMiddle - oldMiddle);
  for (let i = 0; i < inserted; i++) ops.push({ op: 'add', path: `${path}/${head + i}`, value: b[head + i] as Json });
  // The rest of both middles pair up from the end, element by element.
  const kept = Math.min(oldMiddle, newMiddle);
  for (let i = 0; i < kept; i++) {
    const from = a.length - tail - kept + i;
    const to = b.length - tail - kept + i;
    diff(a[from] as Json, b[to] as Json, `${path}/${to}`, ops);
  }
}

export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i] as Json));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k] as Json, b[k] as Json));
  }
  return false;
}

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}

/** Applies ops to a copy of doc, as the API server does; throws PatchError where RFC 6902 says the patch fails. */
export function applyPatch<T>(doc: T, ops: readonly PatchOperation[]): T {
  let root = structuredClone(doc) as Json;
  for (const op of ops) {
    if (op.path === '') {
      if (op.op === 'test') {
        if (!deepEqual(root, op.value as Json)) throw new PatchError('test failed at the root');
      } else if (op.op === 'remove') throw new PatchError('cannot remove the root');
      else root = structuredClone(op.value) as Json;
      continue;
    }
    const segments = op.path.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    if (!op.path.startsWith('/')) throw new PatchError(`${op.path}: a pointer starts with /`);
    const last = segments.pop() as string;
    let parent: Json = root;
    for (const segment of segments) parent = child(parent, segment, op.path);
    if (Array.isArray(parent)) patchArray(parent, last, op);
    else if (isObject(parent)) patchObject(parent, last, op);
    else throw new PatchError(`${op.path}: the parent is not a container`);
  }
  return root as T;
}

function child(parent: Json, segment: string, path: string): Json {
  if (Array.isArray(parent)) {
    const index = arrayIndex(segment, parent.length - 1, path);
    return parent[index] as Json;
  }
  if (isObject(parent) && Object.hasOwn(parent, segment)) return parent[segment] as Json;
  throw new PatchError(`${path}: ${segment} does not exist`);
}

function arrayIndex(segment: string, max: number, path: string): number {
  if (!/^(0|[1-9]\d*)$/.test(segment) || Number(segment) > max) throw new PatchError(`${path}: ${segment} is not an index of the array`);
  return Number(segment);
}

function patchArray(array: Json[], last: string, op: PatchOperation): void {
  if (op.op === 'add') {
    const index = last === '-' ? array.length : arrayIndex(last, array.length, op.path);
    array.splice(index, 0, structuredClone(op.value) as Json);
    return;
  }
  const index = arrayIndex(last, array.length - 1, op.path);
  if (op.op === 'remove') array.splice(index, 1);
  else if (op.op === 'replace') array[index] = structuredClone(op.value) as Json;
  else if (!deepEqual(array[index] as Json, op.value as Json)) throw new PatchError(`${op.path}: test failed`);
}

function patchObject(object: { [key: string]: Json }, key: string, op: PatchOperation): void {
  const exists = Object.hasOwn(object, key);
  if (op.op !== 'add' && !exists) throw new PatchError(`${op.path}: ${key} does not exist`);
  if (op.op === 'remove') delete object[key];
  else if (op.op === 'test') {
    if (!deepEqual(object[key] as Json, op.value as Json)) throw new PatchError(`${op.path}: test failed`);
  } else object[key] = structuredClone(op.value) as Json;
}
