/**
 * Netpbm reader for P2/P5 (grey) and P3/P6 (colour), maxval 1..65535, scaled to 8 bits.
 * sharp 0.35 has no PNM loader, so the ORL faces (P5) come through here.
 */
import { checkPixelLimit, undecodable } from './limits';
import type { RawPixels } from './types';

const MAX_TOKEN_DIGITS = 10;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
}

/** Reads ASCII unsigned integers, skipping whitespace and `#` comments. */
class TokenReader {
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    private readonly name: string,
  ) {}

  next(what: string): number {
    const b = this.bytes;
    for (;;) {
      while (this.pos < b.length && isSpace(b[this.pos])) this.pos++;
      if (b[this.pos] !== 0x23) break;
      while (this.pos < b.length && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++;
    }
    if (this.pos >= b.length) throw undecodable(`${this.name} truncated: expected ${what}, got end of file`);
    const start = this.pos;
    let value = 0;
    while (this.pos < b.length && b[this.pos] >= 0x30 && b[this.pos] <= 0x39) {
      value = value * 10 + (b[this.pos] - 0x30);
      this.pos++;
    }
    const digits = this.pos - start;
    if (digits === 0) {
      throw undecodable(`${this.name}: expected ${what} as a decimal number, got byte 0x${b[start].toString(16)} at offset ${start}`);
    }
    if (digits > MAX_TOKEN_DIGITS) throw undecodable(`${this.name}: ${what} has ${digits} digits, expected at most ${MAX_TOKEN_DIGITS}`);
    if (this.pos < b.length && !isSpace(b[this.pos]) && b[this.pos] !== 0x23) {
      throw undecodable(`${this.name}: expected whitespace after ${what}, got byte 0x${b[this.pos].toString(16)} at offset ${this.pos}`);
    }
    return value;
  }
}

/** Lookup table mapping 0..maxval to 0..255 with rounding. */
function scaleTable(maxval: number): Uint8Array {
  const lut = new Uint8Array(maxval + 1);
  for (let v = 0; v <= maxval; v++) lut[v] = Math.round((v * 255) / maxval);
  return lut;
}

/** Decodes a P2/P3/P5/P6 file; checks `maxPixels` from the header before allocating. */
export function decodePnm(bytes: Uint8Array, maxPixels: number): RawPixels {
  const kind = bytes[1] - 0x30;
  const binary = kind === 5 || kind === 6;
  const channels = kind === 2 || kind === 5 ? 1 : 3;
  const name = channels === 1 ? 'PGM' : 'PPM';
  const reader = new TokenReader(bytes, 2, name);
  const width = reader.next('width');
  const height = reader.next('height');
  const maxval = reader.next('maxval');
  if (width < 1 || height < 1) throw undecodable(`${name}: expected positive dimensions, got ${width}x${height}`);
  if (maxval < 1 || maxval > 65535) throw undecodable(`${name}: expected maxval in 1..65535, got ${maxval}`);
  checkPixelLimit(width, height, maxPixels, name.toLowerCase());

  const count = width * height * channels;
  const lut = scaleTable(maxval);
  const data = new Uint8Array(count);
  const badSample = (v: number, i: number) =>
    undecodable(`${name}: sample ${i} is ${v}, expected at most maxval ${maxval}`);

  if (binary) {
    const start = reader.pos + 1; // exactly one whitespace byte separates maxval from the raster
    const bytesPerSample = maxval < 256 ? 1 : 2;
    const need = count * bytesPerSample;
    const got = Math.max(0, bytes.length - start);
    if (got < need) {
      throw undecodable(`${name} truncated: expected ${need} bytes of pixels for ${width}x${height}, got ${got}`);
    }
    for (let i = 0; i < count; i++) {
      const p = start + i * bytesPerSample;
      const v = bytesPerSample === 1 ? bytes[p] : (bytes[p] << 8) | bytes[p + 1];
      if (v > maxval) throw badSample(v, i);
      data[i] = lut[v];
    }
  } else {
    for (let i = 0; i < count; i++) {
      const v = reader.next(`sample ${i} of ${count}`);
      if (v > maxval) throw badSample(v, i);
      data[i] = lut[v];
    }
  }
  return { width, height, channels, data };
}
