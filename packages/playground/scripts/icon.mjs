/**
 * The app icon, drawn once from one geometry: as SVG text, and as PNG pixels for the manifest
 * (browsers want PNG icons for install). A tiny PNG writer: RGBA, one IDAT, zlib from Node.
 */
import { Buffer } from "node:buffer";
import { deflateSync } from "node:zlib";

const BG = [15, 42, 68];
const BOX = [255, 255, 255];
const PLAY = [61, 220, 132];
// In units of the icon's side (0..1).
const BOX_OUTER = { x0: 0.2, y0: 0.2, x1: 0.8, y1: 0.8, r: 0.1 };
const STROKE = 0.06;
const TRIANGLE = [[0.42, 0.36], [0.42, 0.64], [0.65, 0.5]];

export function iconSvg() {
  const b = BOX_OUTER;
  const h = STROKE / 2;
  const rgb = (c) => `rgb(${c.join(",")})`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="512" height="512">
  <rect width="100" height="100" rx="20" fill="${rgb(BG)}"/>
  <rect x="${(b.x0 + h) * 100}" y="${(b.y0 + h) * 100}" width="${(b.x1 - b.x0 - STROKE) * 100}" height="${(b.y1 - b.y0 - STROKE) * 100}" rx="${(b.r - h) * 100}" fill="none" stroke="${rgb(BOX)}" stroke-width="${STROKE * 100}"/>
  <polygon points="${TRIANGLE.map(([x, y]) => `${x * 100},${y * 100}`).join(" ")}" fill="${rgb(PLAY)}"/>
</svg>
`;
}

/** Signed distance to a rounded rectangle (negative inside). */
function roundedRect(x, y, { x0, y0, x1, y1, r }) {
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const qx = Math.abs(x - cx) - ((x1 - x0) / 2 - r);
  const qy = Math.abs(y - cy) - ((y1 - y0) / 2 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

function inTriangle(x, y) {
  const [a, b, c] = TRIANGLE;
  const side = (p, q) => (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0]);
  const s1 = side(a, b), s2 = side(b, c), s3 = side(c, a);
  return (s1 >= 0 && s2 >= 0 && s3 >= 0) || (s1 <= 0 && s2 <= 0 && s3 <= 0);
}

/** The colour (with alpha) at a point: the topmost shape wins. */
function sample(x, y) {
  if (roundedRect(x, y, { x0: 0, y0: 0, x1: 1, y1: 1, r: 0.2 }) > 0) return [0, 0, 0, 0];
  if (inTriangle(x, y)) return [...PLAY, 255];
  const d = roundedRect(x, y, BOX_OUTER);
  if (d <= 0 && d > -STROKE) return [...BOX, 255];
  return [...BG, 255];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** The icon as a PNG of `size`×`size` pixels, 4×4 supersampled so edges are smooth. */
export function iconPng(size) {
  const SS = 4;
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let py = 0; py < size; py++) {
    const row = py * (size * 4 + 1);
    raw[row] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const c = sample((px + (sx + 0.5) / SS) / size, (py + (sy + 0.5) / SS) / size);
          // Premultiplied so transparent samples do not darken the edge.
          for (let i = 0; i < 3; i++) acc[i] += c[i] * c[3];
          acc[3] += c[3];
        }
      }
      const o = row + 1 + px * 4;
      for (let i = 0; i < 3; i++) raw[o + i] = acc[3] ? Math.round(acc[i] / acc[3]) : 0;
      raw[o + 3] = Math.round(acc[3] / (SS * SS));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}
