/**
 * Progress-bar states that a later line overwrites. Keras (`verbose=1`) and
 * tqdm redraw their bar in place: each state ends with '\r' and the next
 * write replaces it, so the notebook keeps only the last. Stored one event
 * each, they were about half the events of a Keras fit and a log view of
 * hundreds of near-identical lines per epoch. A state that a later line of
 * the same run and stream overwrites within the same batch is therefore
 * stored as its metric points only (the curve keeps every step); the line
 * that stays on screen, and the last state of each batch, stay events, so a
 * run stopped mid-epoch still shows where its bar stopped. A replay cut into
 * other batches may keep another state as well, never fewer.
 */
import type { ITflogDocument } from '../types';

export class OverwrittenStates {
  /** The in-place state waiting for its stream's next line, per run and stream. */
  private readonly held = new Map<string, ITflogDocument>();
  private readonly overwritten = new Set<ITflogDocument>();

  /** The documents of one record, in order, with its in-place states (`IParsedRecord.inPlace`). */
  see(
    documents: readonly ITflogDocument[],
    inPlace: readonly ITflogDocument[] | undefined
  ): void {
    if (inPlace === undefined && this.held.size === 0) {
      return;
    }
    for (const document of documents) {
      if (document.event.dataset !== 'tflog.stream') {
        continue;
      }
      const key = `${document.tflog.run_id}\n${document.tflog.source}`;
      const held = this.held.get(key);
      if (held !== undefined) {
        this.overwritten.add(held);
        this.held.delete(key);
      }
      if (inPlace !== undefined && inPlace.includes(document)) {
        this.held.set(key, document);
      }
    }
  }

  /** Whether a later line overwrote this document. */
  has(document: ITflogDocument): boolean {
    return this.overwritten.has(document);
  }

  /** Documents overwritten so far. */
  get size(): number {
    return this.overwritten.size;
  }
}
