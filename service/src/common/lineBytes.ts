/**
 * Lines encoded as UTF-8, each followed by '\n', straight into large
 * buffers: the NDJSON of a bulk request and the output of `tflog parse`.
 * Writing each line into a buffer once avoids joining the lines into one
 * string and encoding that again (a copy of the whole text, and garbage).
 */
const CHUNK_BYTES = 1024 * 1024;

export class LineBytes {
  /** Filled chunks not yet taken. */
  private full: Buffer[] = [];
  private buffer: Buffer;
  private used = 0;

  constructor(private readonly chunkBytes = CHUNK_BYTES) {
    this.buffer = Buffer.allocUnsafe(chunkBytes);
  }

  /** Appends `line` (without its '\n') and a '\n'. */
  push(line: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    const most = line.length * 3 + 1;
    if (this.used + most > this.buffer.length) {
      if (this.used > 0) {
        this.full.push(this.buffer.subarray(0, this.used));
      }
      this.buffer = Buffer.allocUnsafe(Math.max(this.chunkBytes, most));
      this.used = 0;
    }
    this.used += this.buffer.write(line, this.used);
    this.buffer[this.used++] = 0x0a;
  }

  /** The bytes pushed since the last take, in order; they belong to the caller. */
  take(): Buffer[] {
    if (this.used > 0) {
      this.full.push(this.buffer.subarray(0, this.used));
      // The taken bytes are the caller's now; the rest of the buffer stays ours.
      this.buffer = this.buffer.subarray(this.used);
      this.used = 0;
    }
    const taken = this.full;
    this.full = [];
    return taken;
  }
}

/** Each value as one line of JSON, in one buffer: the body of a bulk request. */
export function ndjson(values: readonly unknown[]): Buffer {
  const lines = new LineBytes();
  for (const value of values) {
    const line: string | undefined = JSON.stringify(value);
    if (line === undefined) {
      throw new TypeError(`not a JSON value: ${String(value)}`);
    }
    lines.push(line);
  }
  const chunks = lines.take();
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}
