import {
  type RefObject,
  useCallback,
  useEffect,
  useEffectEvent,
  useLayoutEffect,
  useState,
  useSyncExternalStore,
} from 'react';

export interface AsyncState<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` whenever `deps` change and keeps the latest result; a result that arrives after the deps changed
 * again is dropped, so a slow response never overwrites a newer one. `load` returning undefined means "nothing
 * to load" (an idle state, not an error).
 */
export function useAsync<T>(load: () => Promise<T> | undefined, deps: readonly unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps (biome.jsonc checks call sites)
  useEffect(() => {
    let current = true;
    const promise = load();
    if (!promise) {
      setState({ loading: false });
      return;
    }
    setState((previous) => ({ data: previous.data, loading: true }));
    promise.then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) =>
        current && setState({ error: error instanceof Error ? error : new Error(String(error)), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Route from the location hash: `#/view/rest?key=value` gives { view, rest, params }. */
export interface Route {
  view: string;
  rest: string;
  params: URLSearchParams;
}

function subscribeHash(callback: () => void): () => void {
  window.addEventListener('hashchange', callback);
  return () => window.removeEventListener('hashchange', callback);
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [pathPart, queryPart = ''] = text.split('?', 2);
  const [view = '', ...rest] = pathPart.split('/');
  return {
    view: view || 'plate',
    rest: rest.map(decodeURIComponent).join('/'),
    params: new URLSearchParams(queryPart),
  };
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribeHash, () => window.location.hash);
  return parseHash(hash);
}

/** Hash for a view, an optional path segment and query parameters (empty values are left out). */
export function href(view: string, rest?: string, params?: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {}))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const query = search.toString();
  return `#/${view}${rest ? `/${encodeURIComponent(rest)}` : ''}${query ? `?${query}` : ''}`;
}

export function navigate(
  view: string,
  rest?: string,
  params?: Record<string, string | number | undefined | null>,
  replace = false,
): void {
  const target = href(view, rest, params);
  if (replace) window.history.replaceState(null, '', target);
  else window.location.hash = target;
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** A value that follows `value` after it has stopped changing for `delay` ms. */
export function useDebounced<T>(value: T, delay: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return debounced;
}

/**
 * Calls onLoad or onError each time the image element finishes loading its source or fails to. Listening through
 * the element (not onLoad props) keeps loading="lazy" working; attached before paint, no event is missed.
 */
export function useImageEvents(
  image: RefObject<HTMLImageElement | null>,
  onLoad: () => void,
  onError: () => void,
): void {
  const loaded = useEffectEvent(onLoad);
  const failed = useEffectEvent(onError);
  useLayoutEffect(() => {
    const element = image.current;
    if (!element) return;
    const onLoadEvent = () => loaded();
    const onErrorEvent = () => failed();
    element.addEventListener('load', onLoadEvent);
    element.addEventListener('error', onErrorEvent);
    return () => {
      element.removeEventListener('load', onLoadEvent);
      element.removeEventListener('error', onErrorEvent);
    };
  }, [image]);
}
