import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** A tiny history router: the path and query are the state, so filters live in the URL. */
export interface Loc {
  path: string;
  query: URLSearchParams;
}

const read = (): Loc => ({ path: location.pathname, query: new URLSearchParams(location.search) });

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new Event('herald:navigate'));
}

export function useLocation(): Loc {
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const update = () => setLoc(read());
    window.addEventListener('popstate', update);
    window.addEventListener('herald:navigate', update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener('herald:navigate', update);
    };
  }, []);
  return loc;
}

export function Link({ href, class: cls, children }: { href: string; class?: string; children: ComponentChildren }) {
  return (
    <a
      href={href}
      class={cls}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

/**
 * Single-key shortcuts, ignored while typing in a field. The handlers of the
 * latest render are used (kept in a ref), so a key pressed right after a click
 * acts on what that click selected, before any effect has run again.
 */
export function useKeys(map: Record<string, (e: KeyboardEvent) => void>): void {
  const current = useRef(map);
  current.current = map;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) {
        if (e.key === 'Escape') t.blur();
        return;
      }
      const f = current.current[e.key];
      if (f) {
        e.preventDefault();
        f(e);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
