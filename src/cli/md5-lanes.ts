/**
 * MD5 of several equal-length byte streams at once, one stream per 32-bit lane of WebAssembly
 * SIMD vectors. MD5 is one chain of dependent steps, so a single stream cannot go faster than
 * OpenSSL's ~800 MB/s on this machine's cores; four or eight independent streams (the parts of
 * an upload) share every instruction and reach ~1.8 / ~2.5 GB/s together (docs/benchmarks.md).
 * The kernel is generated as WebAssembly bytes when first used: no build step, no binary in the
 * tree. test/unit/md5-lanes.test.ts checks it against node:crypto.
 */

/** The widest kernel: the most streams hashed side by side. */
export const MAX_LANES = 8;
const STATE_BYTES = 128;
const SPARE = 128;
const INITIAL_STATE = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const SINES = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);

export class Md5Lanes {
  readonly lanes: 4 | 8;
  readonly chunk: number;
  readonly #memory: WebAssembly.Memory;
  readonly #blocks: (...pointersThenCount: number[]) => void;
  /** By lane. */
  readonly #inputs: Buffer[];
  #hashed = 0;
  /** Where, in the inputs, the bytes the last update left unhashed start. */
  #unhashedAt = 0;

  /** `chunk`: the most bytes each lane takes per `update` (a multiple of 64). */
  constructor(lanes: 4 | 8, chunk: number) {
    if (chunk % 64 !== 0) throw new Error('the chunk must be a multiple of 64 bytes');
    this.lanes = lanes;
    this.chunk = chunk;
    const stride = chunk + SPARE;
    const pages = Math.ceil((STATE_BYTES + lanes * stride) / 65536);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(kernel(lanes / 4, pages)));
    this.#memory = instance.exports.memory as WebAssembly.Memory;
    this.#blocks = instance.exports.blocks as (...args: number[]) => void;
    this.#inputs = Array.from({ length: lanes }, (_, lane) => Buffer.from(this.#memory.buffer, STATE_BYTES + lane * stride, stride));
    this.reset();
  }

  /** Where the next bytes of stream `lane` go before `update`: at most `chunk` of them. */
  input(lane: number): Buffer {
    return this.#inputs[lane]!.subarray(0, this.chunk);
  }

  reset(): void {
    const state = new DataView(this.#memory.buffer, 0, STATE_BYTES);
    for (let lane = 0; lane < this.lanes; lane++) {
      INITIAL_STATE.forEach((word, i) => state.setUint32(stateOffset(lane, i), word, true));
    }
    this.#hashed = 0;
    this.#unhashedAt = 0;
  }

  /**
   * Hashes the `bytes` just put in the inputs of streams 0 to `streams` - 1 (the other
   * lanes repeat stream 0). Only the last update of a message may be other than a multiple of 64.
   */
  update(bytes: number, streams: number): void {
    if (this.#hashed % 64 !== 0) throw new Error('only the last update may leave a partial block');
    this.#run(0, Math.floor(bytes / 64), streams);
    this.#hashed += bytes;
  }

  /** The digests of streams 0 to `streams` - 1 once all their bytes went through `update`. */
  digests(streams: number): Buffer[] {
    const tail = this.#hashed % 64;
    const at = this.#unhashedAt;
    const blocks = tail < 56 ? 1 : 2;
    for (let lane = 0; lane < streams; lane++) {
      const input = this.#inputs[lane]!;
      input.fill(0, at + tail, at + blocks * 64);
      input[at + tail] = 0x80;
      input.writeUInt32LE(this.#hashed * 8 % 2 ** 32, at + blocks * 64 - 8);
      input.writeUInt32LE(Math.floor(this.#hashed / 2 ** 29), at + blocks * 64 - 4);
    }
    this.#run(at, blocks, streams);
    const state = Buffer.from(this.#memory.buffer, 0, STATE_BYTES);
    return Array.from({ length: streams }, (_, lane) => {
      const digest = Buffer.alloc(16);
      for (let i = 0; i < 4; i++) digest.writeUInt32LE(state.readUInt32LE(stateOffset(lane, i)), i * 4);
      return digest;
    });
  }

  #run(offset: number, blocks: number, streams: number): void {
    this.#unhashedAt = offset + blocks * 64;
    const pointers = Array.from({ length: this.lanes }, (_, lane) => this.#inputs[lane < streams ? lane : 0]!.byteOffset + offset);
    this.#blocks(...pointers, blocks);
  }
}

/** Word `i` (A, B, C, D) of a lane's state: each word is one vector, four lanes wide. */
function stateOffset(lane: number, i: number): number {
  return (lane >> 2) * 64 + i * 16 + (lane & 3) * 4;
}

/**
 * A module exporting its memory and `blocks(pointer per lane..., count)`, which runs `count`
 * 64-byte blocks of every lane, read from its pointer onwards, through the MD5 state kept at
 * the start of memory. Groups of four lanes take turns step by step, so two groups' independent
 * chains overlap in the processor.
 */
function kernel(groups: number, pages: number): Uint8Array<ArrayBuffer> {
  const lanes = groups * 4;
  const count = lanes;
  const local = (() => {
    let next = lanes + 1;
    return () => next++;
  })();
  const state = Array.from({ length: groups }, () => [local(), local(), local(), local()]);
  const saved = Array.from({ length: groups }, () => [local(), local(), local(), local()]);
  const words = Array.from({ length: groups }, () => Array.from({ length: 16 }, () => local()));
  const temporary = local();
  const vectorLocals = temporary - lanes;

  const code: number[] = [];
  for (let g = 0; g < groups; g++) {
    state[g]!.forEach((v, i) => code.push(...op.i32Const(0), ...op.simd(0x00), ...memarg(g * 64 + i * 16), ...op.set(v)));
  }
  const body: number[] = [];
  for (let g = 0; g < groups; g++) {
    for (let w = 0; w < 16; w++) {
      // Each load into a lane takes its pointer from below the vector on the stack.
      for (let l = 3; l >= 0; l--) body.push(...op.get(g * 4 + l));
      body.push(...op.simd(0x5c), ...memarg(w * 4));
      for (let l = 1; l < 4; l++) body.push(...op.simd(0x56), ...memarg(w * 4), l);
      body.push(...op.set(words[g]![w]!));
    }
    state[g]!.forEach((v, i) => body.push(...op.get(v), ...op.set(saved[g]![i]!)));
  }
  for (let step = 0; step < 64; step++) {
    const round = step >> 4;
    const word = [step, (5 * step + 1) % 16, (3 * step + 5) % 16, (7 * step) % 16][round]!;
    const shift = SHIFTS[round * 4 + (step % 4)]!;
    for (let g = 0; g < groups; g++) {
      const [a, b, c, d] = [0, 1, 2, 3].map((i) => state[g]![(i - step + 64) % 4]!) as [number, number, number, number];
      body.push(...op.get(a), ...op.get(words[g]![word]!), ...op.simd(0x0c), ...splat(SINES[step]!), ...op.simd(0xae), ...op.simd(0xae));
      if (round === 0) body.push(...op.get(c), ...op.get(d), ...op.get(b), ...op.simd(0x52));
      else if (round === 1) body.push(...op.get(b), ...op.get(c), ...op.get(d), ...op.simd(0x52));
      else if (round === 2) body.push(...op.get(b), ...op.get(c), ...op.simd(0x51), ...op.get(d), ...op.simd(0x51));
      else body.push(...op.get(c), ...op.get(b), ...op.get(d), ...op.simd(0x4d), ...op.simd(0x50), ...op.simd(0x51));
      body.push(...op.simd(0xae), ...op.set(temporary));
      body.push(...op.get(b), ...op.get(temporary), ...op.i32Const(shift), ...op.simd(0xab), ...op.get(temporary), ...op.i32Const(32 - shift), ...op.simd(0xad));
      body.push(...op.simd(0x50), ...op.simd(0xae), ...op.set(a));
    }
  }
  for (let g = 0; g < groups; g++) {
    state[g]!.forEach((v, i) => body.push(...op.get(v), ...op.get(saved[g]![i]!), ...op.simd(0xae), ...op.set(v)));
  }
  for (let l = 0; l < lanes; l++) body.push(...op.get(l), ...op.i32Const(64), 0x6a, ...op.set(l));
  body.push(...op.get(count), ...op.i32Const(1), 0x6b, ...op.set(count));
  // block { loop { if count == 0 break; body; continue } }
  code.push(0x02, 0x40, 0x03, 0x40, ...op.get(count), 0x45, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b);
  for (let g = 0; g < groups; g++) {
    state[g]!.forEach((v, i) => code.push(...op.i32Const(0), ...op.get(v), ...op.simd(0x0b), ...memarg(g * 64 + i * 16)));
  }
  const func = [...vector([[...leb(vectorLocals), 0x7b]]), ...code, 0x0b];

  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[0x60, ...vector(Array.from({ length: lanes + 1 }, () => [0x7f])), 0]])),
    ...section(3, vector([[0]])),
    ...section(5, vector([[0x00, ...leb(pages)]])),
    ...section(7, vector([[...name('memory'), 0x02, 0], [...name('blocks'), 0x00, 0]])),
    ...section(10, vector([[...leb(func.length), ...func]])),
  ]);
}

const op = {
  get: (index: number) => [0x20, ...leb(index)],
  set: (index: number) => [0x21, ...leb(index)],
  i32Const: (value: number) => [0x41, ...signedLeb(value)],
  simd: (code: number) => [0xfd, ...leb(code)],
};

function memarg(offset: number): number[] {
  return [0, ...leb(offset)];
}

function splat(value: number): number[] {
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) bytes.writeInt32LE(value, i * 4);
  return [...bytes];
}

function leb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) return [...bytes, byte];
    bytes.push(byte | 0x80);
  }
}

function vector(items: number[][]): number[] {
  return [...leb(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...leb(content.length), ...content];
}

function name(text: string): number[] {
  return [...leb(text.length), ...Buffer.from(text)];
}
