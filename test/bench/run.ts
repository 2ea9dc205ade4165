/**
 * `npm run bench [-- proxy|monitor|ui|import]`: all four by default.
 *
 * proxy: throughput and latency on loopback, bounded in time; see proxy-bench.ts for what it runs
 * and README "Performance" for its options (BENCH_SECONDS, BENCH_ROUNDS, …).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { proxyBench } from './proxy-bench.js';

const here = import.meta.dirname;

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only !== undefined && !['proxy', 'monitor', 'ui', 'import'].includes(only)) {
    console.error(`unknown bench ${JSON.stringify(only)}: expected proxy, monitor, ui or import`);
    process.exit(2);
  }
  const child = (file: string) =>
    execFileSync(process.execPath, ['--import', 'tsx', path.join(here, file)], { stdio: 'inherit' });
  if (only === undefined || only === 'proxy') await proxyBench();
  if (only === undefined || only === 'monitor') {
    console.log('\n## monitor job over 1,000,000 requests from 50,000 IPs');
    child('monitor-bench.ts');
  }
  if (only === undefined || only === 'ui') {
    console.log('\n## operator UI dashboard with 1,000,000 logged requests (needs Chromium)');
    child('ui-load-bench.ts');
  }
  if (only === undefined || only === 'import') {
    console.log('\n## import of 500,000 combined-format lines');
    child('import-bench.ts');
  }
}

await main();
