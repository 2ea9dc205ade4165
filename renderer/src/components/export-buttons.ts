/**
 * "Export CSV" / "Export JSON" buttons with a progress line and a Cancel button while a
 * download streams.
 */
import { errorMessage, isQuiet } from '../api.js';
import { button, h } from '../dom.js';
import { downloadExport, type ExportKind } from '../download.js';
import type { ExportFormat } from '../export-progress.js';
import type { QueryValue } from '../query.js';
import { toast } from '../toast.js';

const FORMATS: readonly [ExportFormat, string][] = [
  ['csv', 'Export CSV'],
  ['json', 'Export JSON'],
];

/**
 * Buttons that export `kind` with the filter `filter()` returns at click time. `scope` says what
 * the export holds, in the buttons' accessible names ("Export CSV of <scope>"); `caption`, when
 * given, is shown before the buttons (for an export that is not what the page shows, such as the
 * whole blocklist next to a search box).
 */
export function exportButtons(
  kind: ExportKind,
  filter: () => Readonly<Record<string, QueryValue>>,
  options: { scope?: string; caption?: string } = {},
): HTMLElement {
  const scope = options.scope ?? 'the current filter';
  const progress = h('span', {
    class: 'export-progress muted',
    attrs: { role: 'status' },
    data: { testid: 'export-progress' },
  });
  let controller: AbortController | undefined;
  const cancel = button('Cancel', () => controller?.abort(), { variant: 'ghost small' });
  cancel.hidden = true;
  const buttons = FORMATS.map(([format, text]) =>
    button(text, () => void run(format), { variant: 'small', label: `${text} of ${scope}` }),
  );

  async function run(format: ExportFormat): Promise<void> {
    controller = new AbortController();
    for (const b of buttons) b.disabled = true;
    cancel.hidden = false;
    progress.textContent = 'Starting export…';
    try {
      const { filename, summary } = await downloadExport({
        kind,
        format,
        filter: filter(),
        signal: controller.signal,
        onProgress: (text) => {
          progress.textContent = text;
        },
      });
      progress.textContent = `Saved ${filename} · ${summary}`;
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError')
        progress.textContent = 'Export cancelled';
      else {
        progress.textContent = '';
        if (!isQuiet(error)) toast(`Export failed: ${errorMessage(error)}`, { tone: 'error' });
      }
    } finally {
      for (const b of buttons) b.disabled = false;
      cancel.hidden = true;
      controller = undefined;
    }
  }

  const caption = options.caption === undefined ? [] : [h('span', { class: 'muted' }, options.caption)];
  return h('div', { class: 'export-buttons' }, ...caption, ...buttons, cancel, progress);
}
