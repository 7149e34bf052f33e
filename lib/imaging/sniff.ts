/**
 * Format sniffing from magic bytes. File names and client MIME types are never consulted.
 */
import type { ImageFormat } from './types';

/** Result of sniffing: an accepted format, a recognised-but-refused type, or unknown bytes. */
export type SniffResult =
  | { kind: 'accepted'; format: ImageFormat }
  | { kind: 'refused'; type: string; reason: string }
  | { kind: 'unknown' };

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  if (bytes.length < magic.length) return false;
  return magic.every((b, i) => bytes[i] === b);
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);

/** ISO-BMFF (`ftyp` box): AVIF is accepted; HEIC needs an HEVC decoder this sharp build lacks. */
function sniffFtyp(bytes: Uint8Array): SniffResult | null {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return null;
  const boxSize = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const end = Math.min(bytes.length, Math.max(16, boxSize));
  const brands = [ascii(bytes, 8, 12)];
  for (let i = 16; i + 4 <= end; i += 4) brands.push(ascii(bytes, i, i + 4));
  if (brands.includes('avif') || brands.includes('avis')) return { kind: 'accepted', format: 'avif' };
  if (brands.some((b) => HEIF_BRANDS.has(b))) {
    return { kind: 'refused', type: 'HEIC', reason: 'HEVC-coded HEIF is not decodable by this build of sharp' };
  }
  return { kind: 'refused', type: `ISO-BMFF '${brands[0]}'`, reason: 'video/container files are not images' };
}

/** Netpbm: P2/P5 grey and P3/P6 colour are accepted; P1/P4 bitmaps and P7 (PAM) are refused. */
function sniffPnm(bytes: Uint8Array): SniffResult | null {
  if (bytes.length < 3 || bytes[0] !== 0x50) return null;
  const kind = String.fromCharCode(bytes[1]);
  const sep = bytes[2];
  const isSpace = sep === 0x20 || sep === 0x09 || sep === 0x0a || sep === 0x0d || sep === 0x23;
  if (!isSpace) return null;
  if (kind === '2' || kind === '5') return { kind: 'accepted', format: 'pgm' };
  if (kind === '3' || kind === '6') return { kind: 'accepted', format: 'ppm' };
  if (kind === '1' || kind === '4' || kind === '7') {
    return { kind: 'refused', type: `Netpbm P${kind}`, reason: 'only P2/P3/P5/P6 are read' };
  }
  return null;
}

/** SVG is refused: rendering untrusted SVG can fetch files and URLs. */
function looksLikeSvg(bytes: Uint8Array): boolean {
  let i = 0;
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) i = 3;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (bytes[i] !== 0x3c) return false; // '<'
  const head = ascii(bytes, i, Math.min(bytes.length, i + 4096)).toLowerCase();
  return head.includes('<svg');
}

const REFUSED_MAGIC: ReadonlyArray<{ magic: number[]; type: string; reason: string }> = [
  { magic: [0x25, 0x50, 0x44, 0x46, 0x2d], type: 'PDF', reason: 'documents are not images' },
  { magic: [0x49, 0x49, 0x2a, 0x00], type: 'TIFF', reason: 'multi-page TIFF is out of scope' },
  { magic: [0x4d, 0x4d, 0x00, 0x2a], type: 'TIFF', reason: 'multi-page TIFF is out of scope' },
  { magic: [0x49, 0x49, 0x2b, 0x00], type: 'BigTIFF', reason: 'multi-page TIFF is out of scope' },
  { magic: [0x38, 0x42, 0x50, 0x53], type: 'PSD', reason: 'layered documents are not read' },
  { magic: [0xff, 0x0a], type: 'JPEG XL', reason: 'this build of sharp has no JPEG XL decoder' },
  { magic: [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20], type: 'JPEG XL', reason: 'no JPEG XL decoder here' },
  { magic: [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20], type: 'JPEG 2000', reason: 'no JPEG 2000 decoder here' },
  { magic: [0x00, 0x00, 0x01, 0x00], type: 'ICO', reason: 'icon containers are not read' },
  { magic: [0x76, 0x2f, 0x31, 0x01], type: 'OpenEXR', reason: 'HDR formats are not read' },
];

/** Classifies `bytes` as an accepted format, a refused type, or unknown. */
export function sniff(bytes: Uint8Array): SniffResult {
  if (startsWith(bytes, PNG)) return { kind: 'accepted', format: 'png' };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: 'accepted', format: 'jpeg' };
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) {
    return { kind: 'accepted', format: 'gif' };
  }
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') {
    return { kind: 'accepted', format: 'webp' };
  }
  if (bytes.length >= 18 && bytes[0] === 0x42 && bytes[1] === 0x4d) return { kind: 'accepted', format: 'bmp' };
  const ftyp = sniffFtyp(bytes);
  if (ftyp) return ftyp;
  const pnm = sniffPnm(bytes);
  if (pnm) return pnm;
  for (const r of REFUSED_MAGIC) {
    if (startsWith(bytes, r.magic)) return { kind: 'refused', type: r.type, reason: r.reason };
  }
  if (looksLikeSvg(bytes)) return { kind: 'refused', type: 'SVG', reason: 'SVG is refused for security (external references)' };
  return { kind: 'unknown' };
}

/** The accepted image format of `bytes`, or `null` when unknown or refused (see `decodeImage` for why). */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  const result = sniff(bytes);
  return result.kind === 'accepted' ? result.format : null;
}
