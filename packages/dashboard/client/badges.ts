import { h } from './dom.js';

/** A status as a coloured word (colour is never the only signal: the word is there). */
export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge s-${status.replace(/[^a-z]/g, '')}` }, status);
}
