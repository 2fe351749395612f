// Which file offsets are safe to write to the positions file. Batches are sent concurrently and
// finish in any order; a file's offset only moves past a batch once that batch and every batch
// sent before it are done (acknowledged or dead-lettered). Pure.

/** Per file key, the offset just past the last line the batch holds from that file. */
export type BatchEnds = ReadonlyMap<string, number>;

export class CheckpointLedger {
  readonly #open = new Map<number, { ends: BatchEnds; done: boolean }>();
  readonly #committed = new Map<string, number>();
  #lastSeq = -1;
  #version = 0;

  /** Registers a batch before it is sent. Sequence numbers must increase. */
  open(seq: number, ends: BatchEnds): void {
    if (seq <= this.#lastSeq) throw new RangeError(`batch ${seq} opened after ${this.#lastSeq}`);
    this.#lastSeq = seq;
    this.#open.set(seq, { ends, done: false });
  }

  /** The batch is acknowledged or dead-lettered; commits every done batch at the head, in order. */
  done(seq: number): void {
    const entry = this.#open.get(seq);
    if (!entry) return;
    entry.done = true;
    for (const [s, e] of this.#open) {
      if (!e.done) break;
      for (const [key, offset] of e.ends) this.#committed.set(key, offset);
      this.#open.delete(s);
      this.#version++;
    }
  }

  /** Offset safe to resume from, per file key, for files any committed batch touched. */
  committed(key: string): number | undefined {
    return this.#committed.get(key);
  }

  /** Forgets files no longer followed (each opening of a file has its own key, so this only frees memory). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#committed.keys()) if (!keys.has(key)) this.#committed.delete(key);
  }

  /** Batches opened and not yet committed (done ones waiting behind an earlier one count too). */
  get openBatches(): number {
    return this.#open.size;
  }

  /** Changes each time something is committed: the positions file needs a write when it moved. */
  get version(): number {
    return this.#version;
  }
}
