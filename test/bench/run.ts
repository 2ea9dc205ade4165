/**
 * `npm run bench [-- proxy|monitor|ui|import|backtest|growth]`: all six by default (growth: growth-bench.ts).
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
  if (only !== undefined && !['proxy', 'monitor', 'ui', 'import', 'backtest', 'growth'].includes(only)) {
    console.error(
      `unknown bench ${JSON.stringify(only)}: expected proxy, monitor, ui, import, backtest or growth`,
    );
    process.exit(2);
  }
  const child = (file: string, args: string[] = [], nodeFlags: string[] = []) =>
    execFileSync(process.execPath, [...nodeFlags, '--import', 'tsx', path.join(here, file), ...args], {
      stdio: 'inherit',
    });
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
  if (only === undefined || only === 'backtest') {
    console.log('\n## backtest (high_volume 100 → 50): 1 day of 150,000 requests, then 7 days of 1,050,000');
    child('backtest-bench.ts', ['150000', '1']);
    // Capped heap: V8 grows its heap lazily, so peak RSS alone cannot show that live memory is bounded.
    console.log(
      '(7 days with the V8 heap capped at 600 MB: finishing proves memory does not grow with the range)',
    );
    child('backtest-bench.ts', ['1050000', '7'], ['--max-old-space-size=600']);
  }
  if (only === undefined || only === 'growth') child('growth-bench.ts');
}

await main();
