/**
 * Growth curves (issue 8, `npm run bench -- growth`): each curve runs in its own Node process so
 * one curve's heap never skews another's figures. Curves: blocklist lookup at 1k/100k/1M entries;
 * RSS after 10k/100k/1M distinct client IPs; request-log newest page and one-IP history over 1M and
 * 10M records; monitor job over 1M and 10M records. `GROWTH_MAX=1000000` stops the curves at 1M
 * (a quicker run).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const here = import.meta.dirname;
const max = Number(process.env.GROWTH_MAX ?? 10_000_000);
const upTo = (sizes: number[]) => sizes.filter((n) => n <= max).join(',');

function child(title: string, file: string, args: string[], node: string[] = []): void {
  console.log(`\n## ${title}`);
  execFileSync(process.execPath, [...node, '--import', 'tsx', path.join(here, file), ...args], {
    stdio: 'inherit',
  });
}

child('blocklist lookup (AccessLists.decide)', 'blocklist-bench.ts', [upTo([1000, 100_000, 1_000_000])]);
