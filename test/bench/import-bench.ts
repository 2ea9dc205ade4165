/**
 * import: `ipwarden import` throughput for the combined format. Builds BENCH_IMPORT_LINES (default
 * 500,000) lines from the real ../shared/data/apache_logs, each copy shifted by 4 days so every line
 * is a new record, imports them into a fresh data directory (geolocation, dedupe index and request
 * log writes included), then imports the same file again (every line a duplicate). Target ≥ 100,000
 * lines/s (GoAccess publishes ~50–90k lines/s). Also prints lines per CPU-second (user + system
 * time of the process, all its threads), which other load on a shared machine disturbs far less
 * than the wall-clock rate, and the peak RSS (both threads), which must not grow with the file.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openGeoip } from '../../geoip/index.js';
import { importFile } from '../../server/import/index.js';
import { APACHE_LOGS } from '../helpers/combined-log.js';
import { apacheTime } from '../helpers/records.js';
import { measurePeakRss } from './peak-rss.js';

const LINES = Number(process.env.BENCH_IMPORT_LINES ?? 500_000);
const SHIFT_MS = 4 * 24 * 60 * 60 * 1000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function formatApacheTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

async function writeLog(file: string): Promise<void> {
  const source = (await readFile(APACHE_LOGS, 'utf8')).split('\n').filter((l) => l !== '');
  const out = createWriteStream(file);
  for (let i = 0; i < LINES; i++) {
    const line = source[i % source.length] as string;
    const copy = Math.floor(i / source.length);
    const open = line.indexOf('[');
    const close = line.indexOf(']', open);
    const ms = apacheTime(line.slice(open + 1, close)) + copy * SHIFT_MS;
    const shifted = `${line.slice(0, open + 1)}${formatApacheTime(ms)}${line.slice(close)}\n`;
    if (!out.write(shifted)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const work = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-import-bench-'));
try {
  const file = path.join(work, 'access.log');
  await writeLog(file);
  const { size } = await stat(file);
  const geo = await openGeoip();
  const dataDir = path.join(work, 'data');
  for (const run of ['fresh data dir', 'same file again (all duplicates)']) {
    const cpuBefore = process.cpuUsage();
    const {
      result: summary,
      baseline,
      peak,
    } = await measurePeakRss(() => importFile({ file, format: 'combined', dataDir, geo }));
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    console.log(
      `${run}: ${summary.linesRead.toLocaleString('en')} lines (${(size / 1e6).toFixed(0)} MB), ` +
        `${summary.imported.toLocaleString('en')} imported, ${summary.duplicates.toLocaleString('en')} duplicates, ` +
        `${summary.rejected} rejected in ${(summary.elapsedMs / 1000).toFixed(2)} s → ` +
        `${summary.linesPerSecond.toLocaleString('en')} lines/s (target ≥ 100,000); ` +
        `${cpuSeconds.toFixed(2)} CPU-s → ${Math.round(summary.linesRead / cpuSeconds).toLocaleString('en')} lines per CPU-second; ` +
        `peak RSS ${(peak / 1e6).toFixed(0)} MB (${((peak - baseline) / 1e6).toFixed(0)} MB above the start)`,
    );
  }
  console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, Node ${process.version}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
