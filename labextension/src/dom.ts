/**
 * A small element builder: the panels are plain DOM inside Lumino widgets.
 */

/** Options of an element built by `h`. */
export interface IElementOptions {
  className?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
  dataset?: Record<string, string>;
  on?: Partial<Record<keyof HTMLElementEventMap, (event: Event) => void>>;
}

/** Create `<tag>` with options and children (strings become text nodes, nulls are skipped). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: IElementOptions = {},
  children: (Node | string | null | undefined)[] = []
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) {
    node.className = options.className;
  }
  if (options.text !== undefined) {
    node.textContent = options.text;
  }
  if (options.title) {
    node.title = options.title;
  }
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    node.setAttribute(name, value);
  }
  for (const [name, value] of Object.entries(options.dataset ?? {})) {
    node.dataset[name] = value;
  }
  for (const [event, handler] of Object.entries(options.on ?? {})) {
    if (handler) {
      node.addEventListener(event, handler);
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child);
    }
  }
  return node;
}

/** A sidebar section's header: its title and a refresh button. */
export function sectionHeader(title: string, what: string, refresh: () => void): HTMLElement {
  return h('div', { className: 'jp-nbtrack-header' }, [
    h('h2', { className: 'jp-nbtrack-title', text: title }),
    h('button', {
      className: 'jp-mod-styled jp-nbtrack-refresh',
      text: '⟳',
      title: `Refresh the ${what}`,
      attrs: { 'aria-label': `Refresh the ${what}` },
      on: { click: refresh }
    })
  ]);
}
