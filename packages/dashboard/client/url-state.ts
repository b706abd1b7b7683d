/** The page's state lives in its URL, so any view, filter or open task is a link. */
export type UrlKey = 'view' | 'status' | 'name' | 'q' | 'since' | 'tag' | 'task' | 'window';

export function param(key: UrlKey): string {
  return new URLSearchParams(location.search).get(key) ?? '';
}

/** Sets (or clears, with '') some parameters; `push` adds a history entry (opening a task). */
export function setParams(changes: Partial<Record<UrlKey, string>>, push = false): void {
  const search = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value) search.set(key, value);
    else search.delete(key);
  }
  const query = search.toString();
  const url = `${location.pathname}${query ? `?${query}` : ''}`;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

/** A link to the page with these parameters (a task's permalink). */
export function linkTo(changes: Partial<Record<UrlKey, string>>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(changes)) if (value) search.set(key, value);
  return `${location.origin}${location.pathname}?${search.toString()}`;
}
