// `inject -f`'s transformation, pure: multi-document YAML in, the same documents out with every
// workload's pod template injected. Changes are applied to the parsed document as the JSON Patch
// between before and after, so comments, key order and quoting survive everywhere injection did
// not touch; other kinds come out as they went in.
import { injectWorkload, planPatch, type InjectConfig, type InjectDecision, type PatchOperation } from '@outrigger/inject';
import { isMap, isSeq, parseAllDocuments, type Document } from 'yaml';

export interface DocumentReport {
  /** `Deployment shop/web`, for messages. */
  what: string;
  decision: InjectDecision;
}

/** Not ok: the text is not YAML (`yaml`), or holds workloads Kubernetes would refuse (`objects`); each problem names its document. */
export type YamlInjection = { ok: true; yaml: string; reports: DocumentReport[] } | { ok: false; invalid: 'yaml' | 'objects'; problems: string[] };

export function injectYaml(text: string, config: InjectConfig): YamlInjection {
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const problems = docs.flatMap((doc, i) => doc.errors.map((e) => `document ${i + 1}: ${e.message.split('\n')[0]}`));
  if (problems.length > 0) return { ok: false, invalid: 'yaml', problems };
  const refused: string[] = [];
  const reports: DocumentReport[] = [];
  const out: string[] = [];
  let cursor = 0;
  for (const [index, doc] of docs.entries()) {
    // A document's own text runs from the end of the one before (its leading comments included).
    const end = doc.range[2];
    const source = text.slice(cursor, end);
    cursor = end;
    const before: unknown = doc.toJS();
    const items = isList(before) ? before.items : [before];
    const after = items.map((item) => {
      const result = injectWorkload(item, config);
      if (result.kind === 'workload' && result.decision.kind === 'skipped' && result.decision.reason === 'invalid_pod') refused.push(`document ${index + 1}: ${describe(item)}: ${result.decision.message}`);
      else if (result.kind === 'workload') reports.push({ what: describe(item), decision: result.decision });
      return result.object;
    });
    const ops = planPatch(before, isList(before) ? { ...before, items: after } : after[0]);
    if (ops.length === 0) {
      out.push(source); // untouched: byte for byte
      continue;
    }
    applyToDocument(doc, ops);
    const rendered = doc.toString({ lineWidth: 0 });
    const previous = out.at(-1);
    if (previous !== undefined && !previous.endsWith('\n')) out.push('\n');
    out.push(rendered.startsWith('---') || out.length === 0 ? rendered : `---\n${rendered}`);
  }
  if (refused.length > 0) return { ok: false, invalid: 'objects', problems: refused };
  out.push(text.slice(cursor));
  return { ok: true, yaml: out.join(''), reports };
}

function isList(value: unknown): value is { kind: 'List'; items: unknown[] } {
  const v = value as { kind?: unknown; items?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items);
}

function describe(object: unknown): string {
  const { kind, metadata } = (object ?? {}) as { kind?: string; metadata?: { name?: string; generateName?: string; namespace?: string } };
  const name = metadata?.name ?? metadata?.generateName ?? '(unnamed)';
  return `${kind ?? 'object'} ${metadata?.namespace === undefined ? '' : `${metadata.namespace}/`}${name}`;
}

/** The ops, on the document's nodes. They come from planPatch, so every path exists when it is used. */
function applyToDocument(doc: Document, ops: readonly PatchOperation[]): void {
  for (const op of ops) {
    const path = op.path.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = path.pop() as string;
    const parent = path.length === 0 ? doc.contents : doc.getIn(keysOf(doc, path), true);
    if (isSeq(parent)) {
      const index = last === '-' ? parent.items.length : Number(last);
      if (op.op === 'add') parent.items.splice(index, 0, doc.createNode(op.value));
      else if (op.op === 'remove') parent.items.splice(index, 1);
      else if (op.op === 'replace') parent.items[index] = doc.createNode(op.value);
    } else if (isMap(parent)) {
      if (op.op === 'remove') parent.delete(last);
      else if (op.op !== 'test') parent.set(last, doc.createNode(op.value));
    } else if (op.path === '' && op.op !== 'remove' && op.op !== 'test') {
      doc.contents = doc.createNode(op.value);
    }
  }
}

/** Path segments as yaml's getIn wants them: numbers inside sequences, strings inside maps. */
function keysOf(doc: Document, path: string[]): Array<string | number> {
  const keys: Array<string | number> = [];
  let node: unknown = doc.contents;
  for (const segment of path) {
    const key = isSeq(node) ? Number(segment) : segment;
    keys.push(key);
    node = isSeq(node) || isMap(node) ? node.get(key, true) : undefined;
  }
  return keys;
}
