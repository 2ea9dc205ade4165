// Draws ipwarden's icon, a blue shield with a white check mark, as build/icon.png (512×512 RGBA),
// with nothing but node:zlib. electron-builder derives the macOS .icns and Windows .ico from it; the
// window and the tray use it too (electron/build.mjs copies it into dist/electron/).
//
// Usage: node build/make-icon.mjs [size] [out]   (defaults: 512, build/icon.png)
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const size = Number(process.argv[2] ?? 512);
const out = process.argv[3] ?? path.join(here, 'icon.png');

/** Shield outline in unit coordinates: flat shoulders, straight sides, curving to a point. */
function inShield(x, y) {
  if (y < 0.08 || y > 0.94) return false;
  const half = y < 0.5 ? 0.38 : 0.38 * Math.sqrt(Math.max(0, 1 - ((y - 0.5) / 0.44) ** 2));
  return Math.abs(x - 0.5) <= half;
}

/** Distance from (x, y) to the segment (ax, ay)–(bx, by). */
function segmentDistance(x, y, ax, ay, bx, by) {
  const t = Math.max(
    0,
    Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)),
  );
  return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)));
}

function inCheck(x, y) {
  const d = Math.min(
    segmentDistance(x, y, 0.33, 0.48, 0.45, 0.62),
    segmentDistance(x, y, 0.45, 0.62, 0.68, 0.36),
  );
  return d < 0.045;
}

/** RGBA of one pixel, 4×4 supersampled. */
function pixel(px, py) {
  let shield = 0;
  let check = 0;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      const x = (px + (i + 0.5) / 4) / size;
      const y = (py + (j + 0.5) / 4) / size;
      if (inShield(x, y)) {
        shield++;
        if (inCheck(x, y)) check++;
      }
    }
  }
  const blue = [37, 99, 235];
  const mix = check / Math.max(1, shield);
  const rgb = blue.map((c) => Math.round(c + (255 - c) * mix));
  return [...rgb, Math.round((shield / 16) * 255)];
}

function crc32(buffer) {
  let crc = ~0;
  for (const byte of buffer) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const rows = Buffer.alloc(size * (1 + size * 4));
for (let y = 0; y < size; y++) {
  const start = y * (1 + size * 4); // filter byte 0 (None) then RGBA pixels
  for (let x = 0; x < size; x++) rows.set(pixel(x, y), start + 1 + x * 4);
}
const header = Buffer.alloc(13);
header.writeUInt32BE(size, 0);
header.writeUInt32BE(size, 4);
header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
writeFileSync(
  out,
  Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]),
);
console.log(`wrote ${out} (${size}×${size})`);
