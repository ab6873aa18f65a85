/**
 * Groups items into batches: a batch is sealed when it holds `maxDocs`
 * documents or `maxBytes` bytes, or when its oldest item has waited
 * `maxWaitMs` — a timer from the first item, not an idle timer, so a steady
 * trickle is still shipped within `maxWaitMs`. Sealing always takes the
 * whole open batch. An item that would overflow the open batch seals it
 * before the item is added, so the caller may by then be past the batch's
 * last item; items bigger than a batch are the caller's to split.
 */

export interface IBatchLimits {
  maxDocs: number;
  maxBytes: number;
  maxWaitMs: number;
}

export class Batcher<T> {
  private items: T[] = [];
  private docs = 0;
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly limits: IBatchLimits,
    /** Takes a sealed batch's items and their bytes, as `add` was told them. */
    private readonly onSealed: (items: T[], bytes: number) => void
  ) {}

  get openItems(): number {
    return this.items.length;
  }

  get openDocs(): number {
    return this.docs;
  }

  /** Adds an item of `docs` documents and about `bytes` bytes. */
  add(item: T, docs: number, bytes: number): void {
    const wouldOverflow =
      this.items.length > 0 &&
      (this.docs + docs > this.limits.maxDocs ||
        this.bytes + bytes > this.limits.maxBytes);
    if (wouldOverflow) {
      this.seal();
    }
    this.items.push(item);
    this.docs += docs;
    this.bytes += bytes;
    if (
      this.docs >= this.limits.maxDocs ||
      this.bytes >= this.limits.maxBytes
    ) {
      this.seal();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.seal();
      }, this.limits.maxWaitMs);
    }
  }

  /** Seals the open batch now, if it has anything. */
  seal(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.items.length === 0) {
      return;
    }
    const items = this.items;
    const bytes = this.bytes;
    this.items = [];
    this.docs = 0;
    this.bytes = 0;
    this.onSealed(items, bytes);
  }

  /** Forgets the open batch's timer (its items stay unshipped: replayed later). */
  stop(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
