/**
 * Building DOM safely: every string becomes a text node or an attribute value, never markup. This
 * module (and the whole renderer) uses no innerHTML, outerHTML or insertAdjacentHTML: request data
 * (paths, user agents, referrers) is attacker-controlled.
 */

export type Child = Node | string | number | null | undefined | false;

type Handlers = { [E in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[E]) => void };

export interface Props {
  /** Space-separated class names. */
  class?: string;
  /** Attributes (`aria-label`, `href`, `type` …); false/null/undefined leave one out, true sets it empty. */
  attrs?: Record<string, string | number | boolean | null | undefined>;
  /** `data-*` attributes, by their dataset name (`testid` → `data-testid`). */
  data?: Record<string, string>;
  on?: Handlers;
}

/** Attributes that would run script or set inline style: refused, whatever the value. */
const FORBIDDEN_ATTR = /^(on|style$|srcdoc$)/i;

/** Sets attributes, refusing event-handler and style attributes (CSP would block them anyway). */
export function setAttrs(element: Element, attrs: NonNullable<Props['attrs']>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (FORBIDDEN_ATTR.test(name)) throw new Error(`attribute ${name} is not allowed`);
    if (value === false || value === null || value === undefined) element.removeAttribute(name);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
}

/** Appends children: strings and numbers as text nodes; null/undefined/false are skipped. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** `h('a', { attrs: { href } }, 'text')`: an element with props and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props !== null) {
    if (props.class) element.className = props.class;
    if (props.attrs) setAttrs(element, props.attrs);
    if (props.data) for (const [key, value] of Object.entries(props.data)) element.dataset[key] = value;
    if (props.on) {
      for (const [type, handler] of Object.entries(props.on)) {
        element.addEventListener(type, handler as EventListener);
      }
    }
  }
  append(element, ...children);
  return element;
}

/** Replaces all children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes (for the few icons; no markup strings). */
export function svg(tag: string, attrs: Record<string, string>, ...children: SVGElement[]): SVGElement {
  const element = document.createElementNS(SVG_NS, tag) as SVGElement;
  setAttrs(element, attrs);
  for (const child of children) element.appendChild(child);
  return element;
}

/** A visually hidden label for screen readers. */
export function srOnly(text: string): HTMLSpanElement {
  return h('span', { class: 'sr-only' }, text);
}

type Tone = 'primary' | 'danger' | 'ghost';
/** A button's look: a tone, `small`, or both (`'danger small'`). */
export type ButtonVariant = Tone | 'small' | `${Tone} small`;

/** A button; `label` is its accessible name when it differs from the visible text. */
export function button(
  text: Child,
  onClick: (event: MouseEvent) => void,
  options: { label?: string; variant?: ButtonVariant; title?: string; type?: string } = {},
): HTMLButtonElement {
  const classes = [
    'btn',
    ...(options.variant === undefined ? [] : options.variant.split(' ').map((v) => `btn-${v}`)),
  ];
  return h(
    'button',
    {
      class: classes.join(' '),
      attrs: { type: options.type ?? 'button', 'aria-label': options.label, title: options.title },
      on: { click: onClick },
    },
    text,
  );
}

/** A labelled form field: `<label>` wrapping text and the control, with an optional hint. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLLabelElement {
  const hintElement = hint === undefined ? null : h('span', { class: 'field-hint' }, hint);
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control, hintElement);
}

/** A `<select>` from [value, text] pairs. */
export function select(
  options: readonly (readonly [string, string])[],
  value: string,
  attrs: Props['attrs'] = {},
): HTMLSelectElement {
  const element = h('select', { attrs });
  for (const [optionValue, text] of options) {
    const option = h('option', { attrs: { value: optionValue } }, text);
    option.selected = optionValue === value;
    element.append(option);
  }
  return element;
}

/** An empty state: a heading, a sentence that says what to do, and optional extra content. */
export function emptyState(title: string, text: string, ...extra: Child[]): HTMLElement {
  return h(
    'div',
    { class: 'empty-state' },
    h('p', { class: 'empty-title' }, title),
    h('p', null, text),
    ...extra,
  );
}

/** A small coloured label. `tone` picks the colour (see styles.css `.badge-*`). */
export function badge(text: string, tone = 'neutral', title?: string): HTMLSpanElement {
  return h('span', { class: `badge badge-${tone}`, attrs: { title } }, text);
}

/** A link to an IP's detail page; the address is text, the href is encoded. */
export function ipLink(ip: string, breaks: IpBreaks = 'middle'): HTMLAnchorElement {
  return h(
    'a',
    { class: 'mono ip', attrs: { href: `#/ip/${encodeURIComponent(ip)}` } },
    ...breakableIp(ip, breaks),
  );
}

/**
 * Where a long IPv6 address may wrap: after the colon nearest its middle (two lines at most, for a
 * table with a column that takes all the room left), or after any colon (as few lines as the
 * column's share allows).
 */
export type IpBreaks = 'middle' | 'groups';

/**
 * An address as text with line-break opportunities (`<wbr>`) after colons of an IPv6 address longer
 * than a dotted quad (see {@link IpBreaks}), so a 39-character address wraps in a narrow column
 * instead of widening the table past the window. The text (copy, search, `textContent`) is the
 * address unchanged.
 */
export function breakableIp(ip: string, breaks: IpBreaks = 'middle'): Child[] {
  if (ip.length <= 15 || !ip.includes(':')) return [ip];
  if (breaks === 'groups') {
    const parts = ip.split(':');
    return parts.flatMap((part, i) => (i === parts.length - 1 ? [part] : [`${part}:`, h('wbr')]));
  }
  let at = -1;
  for (let i = ip.indexOf(':'); i !== -1; i = ip.indexOf(':', i + 1)) {
    if (at === -1 || Math.abs(i + 1 - ip.length / 2) < Math.abs(at + 1 - ip.length / 2)) at = i;
  }
  return [ip.slice(0, at + 1), h('wbr'), ip.slice(at + 1)];
}

/** A table with a caption (visually hidden when `hiddenCaption`), header cells and a body. */
export function table(
  caption: string,
  headers: readonly Child[],
  options: { hiddenCaption?: boolean; class?: string } = {},
): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const body = h('tbody');
  const headRow = h('tr', null, ...headers.map((header) => h('th', { attrs: { scope: 'col' } }, header)));
  const element = h(
    'table',
    { class: `table ${options.class ?? ''}`.trim() },
    h('caption', { class: options.hiddenCaption ? 'sr-only' : '' }, caption),
    h('thead', null, headRow),
    body,
  );
  return { table: element, body };
}

/** A row of cells. */
export function row(...cells: Child[]): HTMLTableRowElement {
  return h(
    'tr',
    null,
    ...cells.map((cell) => (cell instanceof HTMLTableCellElement ? cell : h('td', null, cell))),
  );
}

/**
 * Runs `redraw` (which replaces content inside `container`) and puts focus back on the control
 * with the same accessible name, or the same row's first control, so keyboard users keep their
 * place when a list refreshes.
 */
export function preserveFocus(container: Element, redraw: () => void): void {
  const active = document.activeElement;
  const inside = active instanceof HTMLElement && container.contains(active);
  const label = inside ? active.getAttribute('aria-label') : null;
  const rowKey = inside ? active.closest<HTMLElement>('[data-key]')?.dataset.key : undefined;
  redraw();
  if (!inside) return;
  const byLabel =
    label === null ? null : container.querySelector<HTMLElement>(`[aria-label="${CSS.escape(label)}"]`);
  const byRow =
    rowKey === undefined
      ? null
      : container.querySelector<HTMLElement>(
          `[data-key="${CSS.escape(rowKey)}"] :is(button, a, input):not(:disabled)`,
        );
  (byLabel ?? byRow)?.focus();
}
