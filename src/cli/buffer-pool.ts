/**
 * Reusable part buffers in shared memory: a hashing worker reads a part in place, the same
 * bytes are sent from it, and nothing is allocated per part (a fresh 8 MiB buffer per part
 * keeps the garbage collector busy and the resident size high).
 */
export class BufferPool {
  readonly #max: number;
  readonly #free: Uint8Array<SharedArrayBuffer>[] = [];
  readonly #waiting: (() => void)[] = [];
  #allocated = 0;

  /** At most `max` buffers exist at once. */
  constructor(max: number) {
    this.#max = max;
  }

  /** A buffer of at least `length` bytes; waits while all are in use. */
  async acquire(length: number): Promise<Uint8Array<SharedArrayBuffer>> {
    for (;;) {
      const fits = this.#free.findIndex((buffer) => buffer.byteLength >= length);
      if (fits >= 0) return this.#free.splice(fits, 1)[0]!;
      if (this.#free.length > 0) {
        // Only smaller ones are free: make room for one that fits.
        this.#free.pop();
        this.#allocated--;
      }
      if (this.#allocated < this.#max) {
        this.#allocated++;
        return new Uint8Array(new SharedArrayBuffer(length));
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  release(buffer: Uint8Array<SharedArrayBuffer>): void {
    this.#free.push(buffer);
    this.#waiting.shift()?.();
  }
}
