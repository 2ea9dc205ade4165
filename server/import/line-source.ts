import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

/** A log being read in batches of lines, with how far into it the reader is (for a progress bar). */
export interface LineSource {
  /**
   * The lines, without their `\n` / `\r\n`, one array per chunk read (up to 256 KiB of input), so
   * memory stays constant and no promise is paid per line.
   */
  readonly batches: AsyncIterable<string[]>;
  /** Bytes consumed from the file or stdin so far (compressed bytes for gzip input). */
  bytesRead(): number;
  /** Size of the file in bytes, or undefined for stdin and other streams. */
  readonly totalBytes: number | undefined;
}

/** The gzip member header's magic bytes (RFC 1952 §2.3.1). */
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Opens `file` (or standard input for `-`) for line reading. Gzip input is recognised by its first
 * two bytes, not by its name, and decompressed on the fly. Rejects when the file cannot be opened;
 * the batch iterator throws if the file turns out to be corrupt gzip.
 */
export async function openLineSource(file: string, stdin: Readable = process.stdin): Promise<LineSource> {
  if (file === '-') return lineSource(stdin, undefined);
  const { size } = await stat(file);
  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return lineSource(stream, size);
}

/** Line source over any byte stream (a test hands in a Readable). Invalid UTF-8 becomes U+FFFD. */
export function lineSource(input: Readable, totalBytes: number | undefined): LineSource {
  let bytes = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of input) {
      bytes += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  async function* batches(): AsyncGenerator<string[]> {
    const chunks = counted();
    const first = await chunks.next();
    if (first.done) return;
    async function* all(): AsyncGenerator<Buffer> {
      yield first.value;
      yield* chunks;
    }
    const head = first.value;
    const isGzip = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    const decoded: AsyncIterable<Buffer> = isGzip
      ? pipeline(Readable.from(all(), { objectMode: false }), createGunzip(), () => {})
      : all();
    yield* splitLines(decoded);
  }
  return { batches: batches(), bytesRead: () => bytes, totalBytes };
}

/** Splits a byte stream into lines at `\n`, dropping a `\r` before it; a last line without `\n` counts. */
async function* splitLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of chunks) {
    const lines = (carry + decoder.write(chunk)).split('\n');
    carry = lines.pop() as string;
    yield stripCarriageReturns(lines);
  }
  carry += decoder.end();
  if (carry !== '') yield stripCarriageReturns([carry]);
}

function stripCarriageReturns(lines: string[]): string[] {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
  }
  return lines;
}
