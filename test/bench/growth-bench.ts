/**
 * Growth curves (issue 8, `npm run bench -- growth`): each curve runs in its own Node process so
 * one curve's heap never skews another's figures. Curves: blocklist lookup at 1k/100k/1M entries;
 * RSS after 10k/100k/1M distinct client IPs; state commits with 1k/100k/1M blocks; request-log
 * newest page and one-IP history over 1M and 10M records; monitor job over 1M and 10M records.
 * `GROWTH_MAX=1000000` stops the curves at 1M (a quicker run).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const here = import.meta.dirname;
const max = Number(process.env.GROWTH_MAX ?? 10_000_000);
const upTo = (sizes: number[]) => sizes.filter((n) => n <= max).join(',');

function child(title: string, file: string, args: string[]): void {
  if (args[0] === '') return; // every size of this curve is above GROWTH_MAX
  console.log(`\n## ${title}`);
  execFileSync(process.execPath, ['--import', 'tsx', path.join(here, file), ...args], {
    stdio: 'inherit',
  });
}

child('blocklist lookup (AccessLists.decide)', 'blocklist-bench.ts', [upTo([1000, 100_000, 1_000_000])]);
child('distinct client IPs through the request path (ipwarden RSS)', 'memory-bench.ts', [
  upTo([10_000, 100_000, 1_000_000]),
]);
child('state commits as the state grows (event-loop ms per commit)', 'state-commit-bench.ts', [
  upTo([1000, 100_000, 1_000_000]),
]);
child('request log queries (real query API)', 'request-log-bench.ts', [upTo([1_000_000, 10_000_000])]);
const monitorSizes = [1_000_000, 10_000_000].filter((n) => n <= max);
if (monitorSizes.length > 0) {
  console.log('\n## monitor job over one hour of N records from 50,000 IPs (streamed)');
  console.log('| records | IPs | write s | monitor s | peak RSS MB | outcome, findings |');
  console.log('| ---: | ---: | ---: | ---: | ---: | --- |');
}
for (const records of monitorSizes) {
  execFileSync(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      path.join(here, 'monitor-bench.ts'),
      String(records),
      '50000',
      '--row',
    ],
    { stdio: 'inherit' },
  );
}
