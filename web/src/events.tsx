import { Component, Fragment } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ago, api, type Delivery, type HEvent, matcherText, when } from './api.js';
import { Link, navigate, useKeys, useLocation } from './router.js';

const FILTER_KEYS = ['source', 'status', 'severity', 'q'] as const;
const MAX_ROWS = 500;
/** Live events are applied in batches: each batch is one render and one repaint of the list. */
const LIVE_BATCH_MS = 500;

/** The filter from the URL, as the search and stream endpoints take it. */
function filterQuery(query: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = query.get(k);
    if (v) out.set(k, v);
  }
  for (const m of query.getAll('match')) if (m) out.append('match', m);
  return out;
}

export function silenceHref(labels: Record<string, string>, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(extra)) if (v) q.append('matcher', matcherText(k, v));
  for (const [k, v] of Object.entries(labels)) q.append('matcher', matcherText(k, v));
  return `/silences?${q}`;
}

function Filters({ query }: { query: URLSearchParams }) {
  const [text, setText] = useState(query.get('q') ?? '');
  const [match, setMatch] = useState(query.getAll('match').join(', '));
  const [source, setSource] = useState(query.get('source') ?? '');
  useEffect(() => {
    setText(query.get('q') ?? '');
    setMatch(query.getAll('match').join(', '));
    setSource(query.get('source') ?? '');
  }, [query.toString()]);
  const apply = (patch: Record<string, string>) => {
    const q = new URLSearchParams(query);
    for (const [k, v] of Object.entries(patch)) {
      q.delete(k);
      if (k === 'match') {
        for (const m of v
          .split(/,(?=\s*[A-Za-z_][A-Za-z0-9_.\-/]*\s*(?:=~|!~|!=|=))/)
          .map((s) => s.trim())
          .filter(Boolean))
          q.append('match', m);
      } else if (v) q.set(k, v);
    }
    navigate(`/events${q.toString() ? `?${q}` : ''}`, true);
  };
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault();
        apply({ q: text, match, source });
      }}
    >
      <input
        id="search"
        type="search"
        placeholder="Search title, text, key  ( / )"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        aria-label="search"
      />
      <input placeholder="source" value={source} onInput={(e) => setSource(e.currentTarget.value)} aria-label="source" class="narrow" />
      <select aria-label="status" value={query.get('status') ?? ''} onChange={(e) => apply({ status: e.currentTarget.value })}>
        <option value="">any status</option>
        <option value="firing">firing</option>
        <option value="resolved">resolved</option>
        <option value="info">info</option>
      </select>
      <select aria-label="severity" value={query.get('severity') ?? ''} onChange={(e) => apply({ severity: e.currentTarget.value })}>
        <option value="">any severity</option>
        <option value="critical">critical</option>
        <option value="error">error</option>
        <option value="warning">warning</option>
        <option value="info">info</option>
      </select>
      <input placeholder='labels, e.g. env="prod", host=~"db-.*"' value={match} onInput={(e) => setMatch(e.currentTarget.value)} aria-label="label matchers" />
      <button type="submit">Filter</button>
    </form>
  );
}

interface RowProps {
  e: HEvent;
  selected: boolean;
  menuOpen: boolean;
  admin: boolean;
  /** Coarse clock for "5m ago": rows re-render when it ticks, not on every new event. */
  now: number;
  onSelect: (id: string) => void;
  onMenu: (id: string) => void;
}

/**
 * One event row. It renders again only when its own props change, so a new
 * event on top costs one row, not the whole list (50 events/s on an open page).
 */
class Row extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    const p = this.props;
    return p.e !== next.e || p.selected !== next.selected || p.menuOpen !== next.menuOpen || p.admin !== next.admin || p.now !== next.now;
  }

  override render({ e, selected, menuOpen, admin, now, onSelect, onMenu }: RowProps) {
    return (
      <tr
        key={e.id}
        data-id={e.id}
        class={selected ? 'selected' : ''}
        aria-selected={selected}
        onClick={() => onSelect(e.id)}
        onDblClick={() => navigate(`/events/${e.id}`)}
      >
        <td title={when(e.received_at)}>{ago(e.received_at, now)}</td>
        <td>
          <span class={`status ${e.status}`}>{e.status}</span>
        </td>
        <td>{e.severity && <span class={`sev ${e.severity}`}>{e.severity}</span>}</td>
        <td class="title">
          <Link href={`/events/${e.id}`}>{e.title}</Link>
        </td>
        <td class="hide-s">{e.source}</td>
        <td class="hide-s labels">
          {Object.entries(e.labels).map(([k, v]) => (
            <span key={k} class="label">
              {k}={v}
            </span>
          ))}
        </td>
        <td class="menu-cell">
          <button
            type="button"
            class="icon"
            aria-label="actions"
            onClick={(ev) => {
              ev.stopPropagation();
              onMenu(e.id);
            }}
          >
            ⋯
          </button>
          {menuOpen && (
            <div class="menu" role="menu">
              <Link href={`/events/${e.id}`}>Details and why</Link>
              {admin && <Link href={silenceHref(e.labels, { source: e.source, key: e.key })}>Silence like this…</Link>}
              <button type="button" onClick={() => void navigator.clipboard?.writeText(e.id)}>
                Copy id
              </button>
            </div>
          )}
        </td>
      </tr>
    );
  }
}

export function EventsPage({ admin }: { admin: boolean }) {
  const loc = useLocation();
  const fq = filterQuery(loc.query).toString();
  const [events, setEvents] = useState<HEvent[]>([]);
  const [error, setError] = useState('');
  const [cursor, setCursor] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [menu, setMenu] = useState<string | null>(null);
  const [paused, setPaused] = useState(false);
  const [live, setLive] = useState<'connecting' | 'live' | 'lost'>('connecting');
  const held = useRef<HEvent[]>([]);
  const [heldCount, setHeldCount] = useState(0);
  const pausedRef = useRef(false);
  pausedRef.current = paused;
  const anchor = useRef<{ id: string; top: number } | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 10_000);
    return () => clearInterval(t);
  }, []);
  const toggleMenu = useCallback((id: string) => setMenu((m) => (m === id ? null : id)), []);
  // Live events are applied at most a few times a second, in one render each.
  const pending = useRef<HEvent[]>([]);
  const flushTimer = useRef<number | undefined>(undefined);

  useEffect(() => {
    let stop = false;
    setError('');
    api<{ events: HEvent[]; next_cursor: string | null }>('GET', `/api/v1/search/events?${fq}${fq ? '&' : ''}limit=100`)
      .then((r) => {
        if (stop) return;
        setEvents(r.events);
        setCursor(r.next_cursor);
      })
      .catch((err) => setError((err as Error).message));
    const es = new EventSource(`/api/v1/stream${fq ? `?${fq}` : ''}`);
    es.onopen = () => setLive('live');
    es.onerror = () => setLive('lost');
    es.addEventListener('events', (m) => {
      const incoming = (JSON.parse((m as MessageEvent<string>).data) as HEvent[]).reverse();
      pending.current = [...incoming, ...pending.current];
      flushTimer.current ??= window.setTimeout(() => {
        flushTimer.current = undefined;
        const batch = pending.current;
        pending.current = [];
        // Decided when the batch is applied: a pause clicked meanwhile holds it too.
        if (pausedRef.current) {
          held.current = [...batch, ...held.current];
          setHeldCount(held.current.length);
        } else addOnTop(batch);
      }, LIVE_BATCH_MS);
    });
    return () => {
      stop = true;
      es.close();
      window.clearTimeout(flushTimer.current);
      flushTimer.current = undefined;
      pending.current = [];
    };
  }, [fq]);

  /**
   * New rows go on top. The row under the reader's eye keeps its place on
   * screen: its offset is remembered now and the scroll corrected after render.
   */
  const addOnTop = (incoming: HEvent[]) => {
    if (window.scrollY > 0) {
      const rows = document.querySelectorAll<HTMLElement>('tr[data-id]');
      for (const r of rows) {
        const top = r.getBoundingClientRect().top;
        if (top >= 0) {
          anchor.current = { id: r.dataset.id as string, top };
          break;
        }
      }
    }
    setEvents((prev) => {
      const seen = new Set(prev.map((e) => e.id));
      return [...incoming.filter((e) => !seen.has(e.id)), ...prev].slice(0, MAX_ROWS);
    });
  };
  useLayoutEffect(() => {
    const a = anchor.current;
    if (!a) return;
    anchor.current = null;
    const row = document.querySelector<HTMLElement>(`tr[data-id="${CSS.escape(a.id)}"]`);
    if (row) window.scrollBy(0, row.getBoundingClientRect().top - a.top);
  }, [events]);

  const resume = () => {
    const h = held.current;
    held.current = [];
    setHeldCount(0);
    setPaused(false);
    if (h.length > 0) addOnTop(h);
  };
  const more = async () => {
    if (!cursor) return;
    const r = await api<{ events: HEvent[]; next_cursor: string | null }>(
      'GET',
      `/api/v1/search/events?${fq}${fq ? '&' : ''}limit=100&cursor=${encodeURIComponent(cursor)}`,
    );
    setEvents((prev) => [...prev, ...r.events]);
    setCursor(r.next_cursor);
  };

  const move = (d: number) => {
    const i = events.findIndex((e) => e.id === selected);
    const next = events[Math.max(0, Math.min(events.length - 1, i < 0 ? 0 : i + d))];
    if (next) {
      setSelected(next.id);
      document.querySelector(`tr[data-id="${CSS.escape(next.id)}"]`)?.scrollIntoView({ block: 'nearest' });
    }
  };
  const sel = events.find((e) => e.id === selected);
  useKeys({
    '/': () => document.getElementById('search')?.focus(),
    j: () => move(1),
    k: () => move(-1),
    Enter: () => sel && navigate(`/events/${sel.id}`),
    p: () => (paused ? resume() : setPaused(true)),
    s: () => sel && admin && navigate(silenceHref(sel.labels, { source: sel.source, key: sel.key })),
    Escape: () => setMenu(null),
  });

  return (
    <section>
      <div class="bar">
        <h2>Events</h2>
        <span class={`badge ${live === 'live' ? 'ok' : live === 'lost' ? 'bad' : ''}`} id="live-state">
          {live === 'live' ? (paused ? 'paused' : 'live') : live === 'lost' ? 'reconnecting…' : 'connecting…'}
        </span>
        {paused ? (
          <button type="button" id="pause" class="primary" onClick={resume}>
            Resume{heldCount > 0 ? ` (${heldCount} new)` : ''}
          </button>
        ) : (
          <button type="button" id="pause" onClick={() => setPaused(true)} title="freeze the list during triage (p)">
            Pause
          </button>
        )}
        {paused && (
          <span class="muted" id="held">
            {heldCount} arrived while paused
          </span>
        )}
      </div>
      <Filters query={loc.query} />
      {error && <p class="error">{error}</p>}
      <table class="list events">
        <thead>
          <tr>
            <th>received</th>
            <th>status</th>
            <th>severity</th>
            <th>title</th>
            <th class="hide-s">source</th>
            <th class="hide-s">labels</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <Row key={e.id} e={e} selected={e.id === selected} menuOpen={menu === e.id} admin={admin} now={now} onSelect={setSelected} onMenu={toggleMenu} />
          ))}
        </tbody>
      </table>
      {events.length === 0 && !error && <p class="muted pad">No events match.</p>}
      {cursor && (
        <button type="button" onClick={more}>
          Older events
        </button>
      )}
      <p class="muted keys">
        Keys: <kbd>/</kbd> search · <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> open · <kbd>p</kbd> pause · <kbd>s</kbd> silence
      </p>
    </section>
  );
}

interface Why {
  routes: {
    index: number;
    id: string;
    receivers: string[];
    outcome: 'matched' | 'failed' | 'not_reached';
    failed?: { matcher: string; actual: string };
    would_match: boolean;
  }[];
  silences: { id: string; origin: string; matchers: string[]; comment: string; state: string; in_force_at_receipt: boolean }[];
  maintenance_windows: { name: string; comment: string }[];
  suppressed: { delivery: string; receiver: string; reason: string | null }[];
  incidents: { id: string; route: string; key: string; status: string; acknowledged: boolean; title: string }[];
}

export function EventDetailPage({ id, admin }: { id: string; admin: boolean }) {
  const [data, setData] = useState<{ event: HEvent; deliveries: Delivery[] } | null>(null);
  const [why, setWhy] = useState<Why | null>(null);
  const [error, setError] = useState('');
  const load = () => {
    api<{ event: HEvent; deliveries: Delivery[] }>('GET', `/api/v1/events/${encodeURIComponent(id)}`)
      .then(setData)
      .catch((e) => setError((e as Error).message));
    api<Why>('GET', `/api/v1/events/${encodeURIComponent(id)}/why`)
      .then(setWhy)
      .catch((e) => setError((e as Error).message));
  };
  useEffect(load, [id]);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  const e = data.event;
  const fields: [string, string | undefined][] = [
    ['id', e.id],
    ['received', when(e.received_at)],
    ['status', e.status],
    ['severity', e.severity],
    ['source', e.source],
    ['type', e.type],
    ['action', e.action],
    ['key', e.key],
    ['url', e.url],
  ];
  return (
    <section class="detail">
      <p>
        <Link href="/events">← Events</Link>
      </p>
      <h2 class="title">{e.title}</h2>
      {admin && (
        <p>
          <Link href={silenceHref(e.labels, { source: e.source, key: e.key })} class="button">
            Silence like this…
          </Link>
        </p>
      )}
      <div class="grid2">
        <div class="card">
          <h3>Fields</h3>
          <dl>
            {fields
              .filter(([, v]) => v)
              .map(([k, v]) => (
                <Fragment key={k}>
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </Fragment>
              ))}
            {Object.entries(e.labels).map(([k, v]) => (
              <Fragment key={`l-${k}`}>
                <dt>labels.{k}</dt>
                <dd>{v}</dd>
              </Fragment>
            ))}
          </dl>
          {e.text && <pre class="text">{e.text}</pre>}
        </div>
        <div class="card" id="why">
          <h3>Why</h3>
          {!why ? (
            <p class="muted">Loading…</p>
          ) : (
            <>
              <table class="list">
                <thead>
                  <tr>
                    <th>route</th>
                    <th>verdict</th>
                    <th>receivers</th>
                  </tr>
                </thead>
                <tbody>
                  {why.routes.map((r) => (
                    <tr key={r.index} class={`route-${r.outcome}`}>
                      <td>{r.id}</td>
                      <td>
                        {r.outcome === 'matched' && <span class="badge ok">matched</span>}
                        {r.outcome === 'failed' && r.failed && (
                          <span>
                            <span class="badge">no match</span> <code>{r.failed.matcher}</code> failed: the event has{' '}
                            <code>{r.failed.actual === '' ? '(empty)' : r.failed.actual}</code>
                          </span>
                        )}
                        {r.outcome === 'not_reached' && <span class="muted">not tried: an earlier route matched without continue</span>}
                      </td>
                      <td>{r.receivers.join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {why.routes.length === 0 && <p class="muted">No routes are configured.</p>}
              {why.incidents.map((i) => (
                <p key={i.id}>
                  Joined incident <Link href={`/incidents?open=${i.id}`}>{i.title}</Link> ({i.status}
                  {i.acknowledged ? ', acknowledged' : ''}) on route {i.route}.
                </p>
              ))}
              {why.suppressed.map((s) => (
                <p key={s.delivery} class="warn-text">
                  Notification to {s.receiver} was muted: {s.reason}
                </p>
              ))}
              {why.silences.map((s) => (
                <p key={s.id} class={s.in_force_at_receipt ? 'warn-text' : 'muted'}>
                  Silence {s.matchers.join(', ')} ({s.state}; {s.comment}){' '}
                  {s.in_force_at_receipt ? 'was in force when it arrived' : 'matches it, but was not in force when it arrived'}.
                </p>
              ))}
              {why.maintenance_windows.map((w) => (
                <p key={w.name} class="muted">
                  Maintenance window {w.name} matches it ({w.comment}).
                </p>
              ))}
            </>
          )}
        </div>
      </div>
      <div class="card">
        <h3>Deliveries</h3>
        {data.deliveries.length === 0 && (
          <p class="muted">No deliveries: no route sent it anywhere (or its route tracks incidents, which notify on their own).</p>
        )}
        {data.deliveries.map((d) => (
          <div key={d.id} class="delivery" data-delivery={d.id}>
            <p>
              <strong>{d.receiver}</strong> <span class={`state ${d.state}`}>{d.state}</span> · tries {d.tries} ·{' '}
              {d.state === 'failed' || d.state === 'pending' ? `next try ${when(d.run_at)}` : `updated ${when(d.updated_at)}`}
              {d.last_error && <span class="error"> · {d.last_error}</span>}
            </p>
            {d.attempts_log && d.attempts_log.length > 0 && (
              <table class="list attempts">
                <thead>
                  <tr>
                    <th>try</th>
                    <th>started</th>
                    <th>latency</th>
                    <th>result</th>
                    <th>status</th>
                    <th>error</th>
                    <th>response</th>
                  </tr>
                </thead>
                <tbody>
                  {d.attempts_log.map((a) => (
                    <tr key={a.try}>
                      <td>{a.try}</td>
                      <td>{when(a.started_at)}</td>
                      <td>{a.duration_ms} ms</td>
                      <td>{a.ok ? <span class="badge ok">ok</span> : <span class="badge bad">{a.reason ?? 'failed'}</span>}</td>
                      <td>{a.status ?? '—'}</td>
                      <td>{a.error ?? ''}</td>
                      <td>
                        <code class="excerpt">{a.response ?? ''}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        ))}
      </div>
      <div class="card">
        <h3>Raw event</h3>
        <pre class="raw">{JSON.stringify(e, null, 2)}</pre>
      </div>
    </section>
  );
}
