/** A flag's evidence as the operator reads it: the summary line, sample paths, the ML features. */
import { badge, h } from '../dom.js';
import { evidenceSummary, reasonLabel, samplePaths } from '../evidence.js';
import { formatNumber } from '../format.js';
import type { Flag } from '../types.js';

const REASON_TONES: Readonly<Record<string, string>> = {
  failed_logins: 'danger',
  brute_force: 'danger',
  sensitive_paths: 'warning',
  admin_access: 'warning',
  high_volume: 'info',
  ml_outlier: 'accent',
};

/** A badge for a reason code. */
export function reasonBadge(reason: string): HTMLSpanElement {
  return badge(reasonLabel(reason), REASON_TONES[reason] ?? 'neutral', reason);
}

/** One flag's evidence: `30 failed logins in 60 min (> 10)` and up to five sample paths. */
export function flagEvidence(
  flag: Flag,
  options: { withReason?: boolean; features?: boolean } = {},
): HTMLElement {
  const paths = samplePaths(flag.details);
  const features = options.features && flag.details.features ? Object.entries(flag.details.features) : [];
  return h(
    'div',
    { class: 'evidence' },
    h(
      'div',
      { class: 'evidence-line' },
      options.withReason ? reasonBadge(flag.reason) : null,
      options.withReason ? ' ' : null,
      evidenceSummary(flag),
      flag.details.source === undefined
        ? null
        : h('span', { class: 'muted small' }, ` · ${flag.details.source}`),
    ),
    paths.length === 0
      ? null
      : h(
          'ul',
          { class: 'sample-paths', attrs: { 'aria-label': 'Sample paths' } },
          ...paths.map((path) => h('li', { class: 'mono', attrs: { title: path } }, path)),
        ),
    features.length === 0
      ? null
      : h(
          'dl',
          { class: 'features' },
          ...features.flatMap(([name, value]) => [h('dt', null, name), h('dd', null, formatNumber(value))]),
        ),
  );
}
