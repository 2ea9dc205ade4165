import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** A log being read in chunks of bytes, with how far into it the reader is (for a progress bar). */
export interface LineSource {
  /**
   * The log's bytes (decompressed for gzip input) in chunks of up to 256 KiB, so memory stays
   * constant; {@link LineSplitter} turns them into lines.
   */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Bytes consumed from the file or stdin so far (compressed bytes for gzip input). */
  bytesRead(): number;
  /** Size of the file in bytes, or undefined for stdin and other streams. */
  readonly totalBytes: number | undefined;
}

/** Bytes read (and decompressed) at a time: a chunk is one message to the parser thread. */
const CHUNK_BYTES = 256 * 1024;

/** The gzip member header's magic bytes (RFC 1952 §2.3.1). */
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Opens `file` (or standard input for `-`) for line reading. Gzip input is recognised by its first
 * two bytes, not by its name, and decompressed on the fly. Rejects when the file cannot be opened;
 * the chunk iterator throws if the file turns out to be corrupt gzip.
 */
export async function openLineSource(file: string, stdin: Readable = process.stdin): Promise<LineSource> {
  if (file === '-') return lineSource(stdin, undefined);
  const { size } = await stat(file);
  const stream = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return lineSource(stream, size);
}

/** Line source over any byte stream (a test hands in a Readable). */
export function lineSource(input: Readable, totalBytes: number | undefined): LineSource {
  let bytes = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of input) {
      bytes += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const read = counted();
    const first = await read.next();
    if (first.done) return;
    async function* all(): AsyncGenerator<Buffer> {
      yield first.value;
      yield* read;
    }
    const head = first.value;
    const isGzip = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    const decoded: AsyncIterable<Buffer> = isGzip
      ? pipeline(
          Readable.from(all(), { objectMode: false }),
          createGunzip({ chunkSize: CHUNK_BYTES }),
          () => {},
        )
      : all();
    yield* decoded;
  }
  return { chunks: chunks(), bytesRead: () => bytes, totalBytes };
}
