/**
 * IPv6 addresses packed as 8-character strings, one UTF-16 code unit per 16-bit group: compact
 * hash-map keys whose prefixes are string prefixes (the blocklist's IPv6 tables are keyed this way).
 */

/** The address `::ffff:0:0` prefix (IPv4-mapped, RFC 4291 §2.5.5.2) in packed form. */
export const V4_MAPPED_PACKED = '\0\0\0\0\0\uffff';

/**
 * IPv6 text → packed form, or null when the text is not a plain IPv6 address: 1–4 hex digits per
 * group, eight groups or one `::` standing for one or more zero groups (RFC 4291 §2.2). Forms with
 * an embedded dotted quad (`::ffff:1.2.3.4`), zone ids or brackets give null too; callers that
 * accept those parse them the slow way. Hand-rolled because the blocklist guard runs it on every
 * IPv6 request: about 20× cheaper than ipaddr.js.
 */
export function parseV6Packed(text: string): string | null {
  const len = text.length;
  if (len < 2 || len > 39) return null;
  const head: number[] = [];
  const tail: number[] = [];
  let groups = head;
  let i = 0;
  if (text.charCodeAt(0) === 58 /* : */) {
    if (text.charCodeAt(1) !== 58) return null;
    groups = tail;
    i = 2;
    if (len === 2) return '\0'.repeat(8);
  }
  for (;;) {
    let value = 0;
    let end = i;
    for (let digit = hexValue(text.charCodeAt(end)); digit !== -1; digit = hexValue(text.charCodeAt(end))) {
      value = value * 16 + digit;
      end++;
    }
    if (end === i || end - i > 4) return null;
    groups.push(value);
    if (end === len) break;
    if (text.charCodeAt(end) !== 58) return null;
    if (text.charCodeAt(end + 1) === 58) {
      if (groups === tail) return null; // a second '::'
      groups = tail;
      i = end + 2;
      if (i === len) break;
    } else {
      i = end + 1;
      if (i === len) return null; // a trailing single ':'
    }
  }
  const count = head.length + tail.length;
  const compressed = groups === tail;
  if (compressed ? count > 7 : count !== 8) return null;
  return String.fromCharCode(...head, ...new Array<number>(8 - count).fill(0), ...tail);
}

/** 16 network-order bytes → packed form. */
export function bytesToPacked(bytes: readonly number[]): string {
  let packed = '';
  for (let i = 0; i < 16; i += 2) packed += String.fromCharCode(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  return packed;
}

/** The key of the /`prefix` network holding `packed`: its first ⌈prefix/16⌉ groups, the last one masked. */
export function packedPrefix(packed: string, prefix: number): string {
  const whole = prefix >> 4;
  const rest = prefix & 15;
  if (rest === 0) return whole === 8 ? packed : packed.slice(0, whole);
  const mask = (0xffff << (16 - rest)) & 0xffff;
  return packed.slice(0, whole) + String.fromCharCode(packed.charCodeAt(whole) & mask);
}

/**
 * Packed form → RFC 5952 text: lower-case hex, no leading zeros, the longest run of two or more zero
 * groups (the first of equals) written `::`. IPv4-mapped addresses are not special here.
 */
export function packedToText(packed: string): string {
  let runStart = -1;
  let runLength = 1; // a single zero group is never compressed
  for (let i = 0; i < 8; ) {
    if (packed.charCodeAt(i) !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && packed.charCodeAt(j) === 0) j++;
    if (j - i > runLength) {
      runStart = i;
      runLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => {
    const out: string[] = [];
    for (let i = from; i < to; i++) out.push(packed.charCodeAt(i).toString(16));
    return out.join(':');
  };
  return runStart === -1 ? hex(0, 8) : `${hex(0, runStart)}::${hex(runStart + runLength, 8)}`;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
