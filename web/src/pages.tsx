import { useEffect, useState } from 'preact/hooks';
import { ago, api, type Delivery, type HEvent, when } from './api.js';
import { Link, useLocation } from './router.js';

/* ---------------------------------------------------------------- Silences */

interface SilenceView {
  id: string;
  matchers: string[];
  author: string;
  comment: string;
  starts_at: string;
  ends_at: string;
  state: 'active' | 'pending' | 'expired';
  origin: 'api' | 'config';
}

interface Preview {
  incidents: { id: string; title: string; key: string; route: string; last_seen: string }[];
  events: HEvent[];
  events_scanned: number;
}

const preview = (matchers: string[]) => api<Preview>('POST', '/api/v1/silences/preview', { matchers });

export function SilencesPage({ admin }: { admin: boolean }) {
  const loc = useLocation();
  const [list, setList] = useState<SilenceView[]>([]);
  const [stale, setStale] = useState<Set<string>>(new Set());
  const [matchers, setMatchers] = useState(loc.query.getAll('matcher').join('\n'));
  const [duration, setDuration] = useState('2h');
  const [author, setAuthor] = useState('');
  const [comment, setComment] = useState('');
  const [shown, setShown] = useState<Preview | null>(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const lines = () =>
    matchers
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);

  const load = async () => {
    try {
      const r = await api<{ silences: SilenceView[] }>('GET', '/api/v1/silences?all=true');
      setList(r.silences);
      // Stale: in force but muting nothing firing and matching no event of the last day — likely forgotten.
      const staleIds = new Set<string>();
      await Promise.all(
        r.silences
          .filter((s) => s.state === 'active')
          .slice(0, 50)
          .map(async (s) => {
            const p = await preview(s.matchers);
            if (p.incidents.length === 0 && p.events.length === 0) staleIds.add(s.id);
          }),
      );
      setStale(staleIds);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    void load();
  }, []);
  useEffect(() => setMatchers(loc.query.getAll('matcher').join('\n')), [loc.query.toString()]);

  const doPreview = async () => {
    setError('');
    try {
      setShown(await preview(lines()));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const create = async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      const s = await api<SilenceView>('POST', '/api/v1/silences', { matchers: lines(), duration, author, comment });
      setNotice(`Silence ${s.id} created, until ${when(s.ends_at)}.`);
      setShown(null);
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const expire = async (s: SilenceView) => {
    try {
      await api('DELETE', `/api/v1/silences/${encodeURIComponent(s.id)}`);
      setNotice(`Silence ${s.id} expired.`);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section>
      <h2>Silences</h2>
      {error && <p class="error">{error}</p>}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {admin && (
        <form class="card silence-form" onSubmit={create}>
          <h3>New silence</h3>
          <label>
            Matchers, one per line (all must match)
            <textarea
              name="matchers"
              rows={3}
              value={matchers}
              onInput={(e) => setMatchers(e.currentTarget.value)}
              placeholder={'alertname="InstanceDown"\nenv="prod"'}
            />
          </label>
          <div class="row">
            <label>
              Duration
              <input name="duration" value={duration} onInput={(e) => setDuration(e.currentTarget.value)} class="narrow" />
            </label>
            <label>
              Author
              <input name="author" value={author} onInput={(e) => setAuthor(e.currentTarget.value)} required />
            </label>
            <label class="grow">
              Comment
              <input name="comment" value={comment} onInput={(e) => setComment(e.currentTarget.value)} required />
            </label>
          </div>
          <div class="row">
            <button type="button" onClick={doPreview}>
              Preview
            </button>
            <button type="submit" class="primary">
              Create silence
            </button>
          </div>
          {shown && (
            <div id="preview">
              <h4>Would mute {shown.incidents.length} firing incident(s)</h4>
              <ul>
                {shown.incidents.map((i) => (
                  <li key={i.id}>
                    {i.title}{' '}
                    <span class="muted">
                      ({i.key}, last seen {ago(i.last_seen)})
                    </span>
                  </li>
                ))}
              </ul>
              <h4>
                and matches {shown.events.length} event(s) of the last 24 hours <span class="muted">({shown.events_scanned} read)</span>
              </h4>
              <ul>
                {shown.events.slice(0, 20).map((e) => (
                  <li key={e.id}>
                    <Link href={`/events/${e.id}`}>{e.title}</Link> <span class="muted">{ago(e.received_at)}</span>
                  </li>
                ))}
              </ul>
            </div>
          )}
        </form>
      )}
      <table class="list silences">
        <thead>
          <tr>
            <th>state</th>
            <th>matchers</th>
            <th class="hide-s">author</th>
            <th>comment</th>
            <th>ends</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((s) => (
            <tr key={s.id} data-id={s.id}>
              <td>
                <span class={`state ${s.state}`}>{s.state}</span>
                {stale.has(s.id) && (
                  <span class="badge warn" title="active, but mutes no firing incident and matched no event in the last 24 hours">
                    stale
                  </span>
                )}
              </td>
              <td>
                {s.matchers.map((m) => (
                  <code key={m} class="label">
                    {m}
                  </code>
                ))}
              </td>
              <td class="hide-s">{s.author}</td>
              <td>{s.comment}</td>
              <td>{when(s.ends_at)}</td>
              <td>
                {admin && s.origin === 'api' && s.state !== 'expired' && (
                  <button type="button" onClick={() => void expire(s)}>
                    Expire
                  </button>
                )}
                {s.origin === 'config' && <span class="muted">from config</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.length === 0 && <p class="muted pad">No silences.</p>}
    </section>
  );
}

/* -------------------------------------------------------------- Deliveries */

export function DeliveriesPage({ admin }: { admin: boolean }) {
  const loc = useLocation();
  const [state, setState] = useState(loc.query.get('state') ?? 'dead');
  const [receiver, setReceiver] = useState(loc.query.get('receiver') ?? '');
  const [list, setList] = useState<Delivery[]>([]);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [progress, setProgress] = useState<{ done: number; total: number; failed: string[] } | null>(null);
  const [tracked, setTracked] = useState<Map<string, Delivery>>(new Map());
  const [error, setError] = useState('');
  const load = async () => {
    const q = new URLSearchParams({ state, limit: '200' });
    if (receiver) q.set('receiver', receiver);
    try {
      setList((await api<{ deliveries: Delivery[] }>('GET', `/api/v1/deliveries?${q}`)).deliveries);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    void load();
  }, [state, receiver]);
  // Replayed deliveries are followed until they settle, so the page shows how the replay went.
  useEffect(() => {
    const open = [...tracked.values()].filter((d) => d.state === 'pending' || d.state === 'running' || d.state === 'failed' || d.state === 'replaying');
    if (open.length === 0) return;
    const t = setTimeout(async () => {
      const next = new Map(tracked);
      for (const d of open) {
        const r = await api<{ deliveries: Delivery[] }>('GET', `/api/v1/events/${encodeURIComponent(d.event_id)}`).catch(() => undefined);
        const now = r?.deliveries.find((x) => x.id === d.id);
        if (now) next.set(d.id, now);
      }
      setTracked(next);
      void load();
    }, 700);
    return () => clearTimeout(t);
  }, [tracked]);

  const replay = async (ids: string[]) => {
    setProgress({ done: 0, total: ids.length, failed: [] });
    const failed: string[] = [];
    const next = new Map(tracked);
    for (const [n, id] of ids.entries()) {
      const d = list.find((x) => x.id === id);
      try {
        await api('POST', `/api/v1/deliveries/${encodeURIComponent(id)}/replay`);
        if (d) next.set(id, { ...d, state: 'replaying' });
      } catch (e) {
        failed.push(`${id}: ${(e as Error).message}`);
      }
      setProgress({ done: n + 1, total: ids.length, failed: [...failed] });
    }
    setPicked(new Set());
    setTracked(next);
  };
  const receivers = [...new Set(list.map((d) => d.receiver))].sort();
  return (
    <section>
      <div class="bar">
        <h2>Deliveries</h2>
        <select aria-label="state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
          {['dead', 'failed', 'pending', 'suppressed', 'succeeded'].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <input
          aria-label="receiver"
          placeholder="receiver"
          value={receiver}
          onChange={(e) => setReceiver(e.currentTarget.value)}
          class="narrow"
          list="receivers"
        />
        <datalist id="receivers">
          {receivers.map((r) => (
            <option key={r} value={r} />
          ))}
        </datalist>
        {admin && (
          <button type="button" disabled={picked.size === 0} onClick={() => void replay([...picked])}>
            Replay selected ({picked.size})
          </button>
        )}
      </div>
      {error && <p class="error">{error}</p>}
      {progress && (
        <div class="progress" role="status">
          <progress max={progress.total} value={progress.done} /> {progress.done}/{progress.total} queued again
          {progress.failed.map((f) => (
            <p key={f} class="error">
              {f}
            </p>
          ))}
        </div>
      )}
      {tracked.size > 0 && (
        <div class="card" id="replays">
          <h3>Replays</h3>
          <ul>
            {[...tracked.values()].map((d) => (
              <li key={d.id} data-id={d.id}>
                {d.receiver} · <Link href={`/events/${d.event_id}`}>{d.id}</Link> → <span class={`state ${d.state}`}>{d.state}</span>
                {d.last_error && <span class="error"> {d.last_error}</span>}
              </li>
            ))}
          </ul>
        </div>
      )}
      <table class="list deliveries">
        <thead>
          <tr>
            {admin && <th />}
            <th>receiver</th>
            <th>state</th>
            <th>tries</th>
            <th>why</th>
            <th class="hide-s">updated</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((d) => (
            <tr key={d.id} data-id={d.id}>
              {admin && (
                <td>
                  <input
                    type="checkbox"
                    aria-label={`select ${d.id}`}
                    checked={picked.has(d.id)}
                    onChange={(e) => {
                      const next = new Set(picked);
                      if (e.currentTarget.checked) next.add(d.id);
                      else next.delete(d.id);
                      setPicked(next);
                    }}
                  />
                </td>
              )}
              <td>{d.receiver}</td>
              <td>
                <span class={`state ${d.state}`}>{d.state}</span>
              </td>
              <td>{d.tries}</td>
              <td class="error-text">
                {d.last_error ?? ''}
                {d.last_status ? ` (HTTP ${d.last_status})` : ''}
              </td>
              <td class="hide-s">{when(d.updated_at)}</td>
              <td class="actions">
                <Link href={`/events/${d.event_id}`}>attempts</Link>
                {admin && (
                  <button type="button" onClick={() => void replay([d.id])}>
                    Replay
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.length === 0 && <p class="muted pad">No {state} deliveries.</p>}
    </section>
  );
}

/* --------------------------------------------------------------- Receivers */

interface ReceiverHealth {
  name: string;
  type: string;
  docs_url: string | null;
  recent: { deliveries: number; finished: number; succeeded: number; success_rate: number | null };
  pending: number;
  failed: number;
  dead: number;
  last_error: { delivery: string; error: string; status: number | null; at: string } | null;
  rate_limited_until: string | null;
}
interface ReceiverType {
  type: string;
  version: string;
  displayName: string;
  docsUrl?: string;
  origin: string;
  schema: { properties?: Record<string, { description?: string; type?: string; default?: unknown }>; required?: string[] };
}
interface TestResult {
  ok: boolean;
  duration_ms: number;
  reason: string | null;
  error: string | null;
  response: { status: number; body: string } | null;
}

export function ReceiversPage({ admin }: { admin: boolean }) {
  const [list, setList] = useState<ReceiverHealth[]>([]);
  const [types, setTypes] = useState<ReceiverType[]>([]);
  const [tests, setTests] = useState<Record<string, TestResult | 'running' | string>>({});
  const [error, setError] = useState('');
  const load = () =>
    api<{ receivers: ReceiverHealth[] }>('GET', '/api/v1/receivers')
      .then((r) => setList(r.receivers))
      .catch((e) => setError((e as Error).message));
  useEffect(() => {
    void load();
    api<{ receiver_types: ReceiverType[] }>('GET', '/api/v1/receiver-types')
      .then((r) => setTypes(r.receiver_types))
      .catch((e) => setError((e as Error).message));
  }, []);
  const test = async (name: string) => {
    setTests((t) => ({ ...t, [name]: 'running' }));
    try {
      const r = await api<TestResult>('POST', `/api/v1/receivers/${encodeURIComponent(name)}/test`);
      setTests((t) => ({ ...t, [name]: r }));
    } catch (e) {
      setTests((t) => ({ ...t, [name]: (e as Error).message }));
    }
  };
  return (
    <section>
      <h2>Receivers</h2>
      {error && <p class="error">{error}</p>}
      <div class="cards">
        {list.map((r) => {
          const t = tests[r.name];
          const rate = r.recent.success_rate;
          return (
            <div class="card receiver" key={r.name} data-name={r.name}>
              <h3>
                {r.name} <span class="muted">{r.type}</span>
              </h3>
              <p>
                {rate === null ? (
                  <span class="muted">no finished deliveries yet</span>
                ) : (
                  <span class={`badge ${rate >= 0.99 ? 'ok' : rate >= 0.8 ? 'warn' : 'bad'}`}>
                    {Math.round(rate * 100)}% of last {r.recent.finished} succeeded
                  </span>
                )}{' '}
                {r.pending > 0 && <span class="badge">{r.pending} queued</span>} {r.failed > 0 && <span class="badge warn">{r.failed} retrying</span>}{' '}
                {r.dead > 0 && (
                  <Link href={`/deliveries?state=dead&receiver=${encodeURIComponent(r.name)}`} class="badge bad">
                    {r.dead} dead
                  </Link>
                )}
              </p>
              {r.rate_limited_until && <p class="warn-text">Rate limited by the target until {when(r.rate_limited_until)}.</p>}
              {r.last_error && (
                <p class="error-text">
                  Last error {ago(r.last_error.at)}: {r.last_error.error}
                </p>
              )}
              {admin && (
                <button type="button" onClick={() => void test(r.name)} disabled={t === 'running'}>
                  Send test
                </button>
              )}
              {t && t !== 'running' && (
                <p class="test-result" role="status">
                  {typeof t === 'string' ? (
                    <span class="error">{t}</span>
                  ) : t.ok ? (
                    <span class="badge ok">
                      delivered in {t.duration_ms} ms{t.response ? ` (HTTP ${t.response.status})` : ''}
                    </span>
                  ) : (
                    <span class="error">
                      failed [{t.reason}]: {t.error}
                    </span>
                  )}
                </p>
              )}
              {r.docs_url && (
                <a href={r.docs_url} rel="noreferrer noopener" target="_blank">
                  provider docs
                </a>
              )}
            </div>
          );
        })}
      </div>
      {list.length === 0 && <p class="muted">No receivers are configured.</p>}
      <h2>Receiver types</h2>
      <div class="catalogue">
        {types.map((t) => (
          <details key={t.type} class="card">
            <summary>
              <strong>{t.displayName}</strong> <code>{t.type}</code>{' '}
              <span class="muted">
                v{t.version} · {t.origin}
              </span>
            </summary>
            {t.docsUrl && (
              <p>
                <a href={t.docsUrl} rel="noreferrer noopener" target="_blank">
                  {t.docsUrl}
                </a>
              </p>
            )}
            <table class="list">
              <tbody>
                {Object.entries(t.schema.properties ?? {}).map(([k, p]) => (
                  <tr key={k}>
                    <td>
                      <code>{k}</code>
                      {t.schema.required?.includes(k) ? ' *' : ''}
                    </td>
                    <td class="muted">{p.type ?? ''}</td>
                    <td>{p.description ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        ))}
      </div>
    </section>
  );
}

/* ------------------------------------------------------------------ Routes */

interface RouteView {
  index: number;
  id: string;
  match: string[];
  receivers: string[];
  continue: boolean;
  policy: { group_by: string[] | null; repeat_interval_ms: number } | null;
}
interface DryRun {
  event: HEvent;
  matched_routes: number[];
  receivers: {
    receiver: string;
    type: string;
    output: { kind: string; request?: { method: string; url: string; body?: string }; log?: { message: string }; tcp?: { host: string; data: string } }[];
  }[];
}

/** A JSON body indented for reading; anything else as it is. */
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export function RoutesPage() {
  const [routes, setRoutes] = useState<RouteView[]>([]);
  const [input, setInput] = useState('{\n  "title": "db-1 down",\n  "severity": "critical",\n  "labels": {"env": "prod"}\n}');
  const [source, setSource] = useState('');
  const [results, setResults] = useState<DryRun[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api<{ routes: RouteView[] }>('GET', '/api/v1/routes')
      .then((r) => setRoutes(r.routes))
      .catch((e) => setError((e as Error).message));
  }, []);
  const run = async (e: Event) => {
    e.preventDefault();
    setError('');
    setResults(null);
    let body: unknown;
    try {
      body = JSON.parse(input);
    } catch (err) {
      return setError(`not JSON: ${(err as Error).message}`);
    }
    try {
      if (source) setResults((await api<{ results: DryRun[] }>('POST', '/api/v1/routes/test-payload', { source, payload: body })).results);
      else setResults([await api<DryRun>('POST', '/api/v1/routes/test', body)]);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section>
      <h2>Routes</h2>
      <table class="list routes">
        <thead>
          <tr>
            <th>#</th>
            <th>name</th>
            <th>when</th>
            <th>to</th>
            <th>then</th>
          </tr>
        </thead>
        <tbody>
          {routes.map((r) => (
            <tr key={r.index}>
              <td>{r.index}</td>
              <td>{r.id}</td>
              <td>
                {r.match.length === 0 ? (
                  <span class="muted">every event</span>
                ) : (
                  r.match.map((m) => (
                    <code key={m} class="label">
                      {m}
                    </code>
                  ))
                )}
              </td>
              <td>
                {r.receivers.join(', ')}
                {r.policy && <span class="badge">incidents{r.policy.group_by ? ` by ${r.policy.group_by.join(',')}` : ''}</span>}
              </td>
              <td>{r.continue ? 'continue' : 'stop'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="card" onSubmit={run} id="dry-run">
        <h3>Dry run</h3>
        <p class="muted">Paste a Herald event, or a sender's payload and the name of the source that takes it. Nothing is sent or stored.</p>
        <label>
          <span>
            Source: empty when the text is a Herald event; an HTTP source's name for its sender's payload; <code>prometheus</code> for an Alertmanager alert
            list
          </span>
          <input name="source" value={source} onInput={(e) => setSource(e.currentTarget.value)} class="narrow" />
        </label>
        <textarea name="event" rows={8} value={input} onInput={(e) => setInput(e.currentTarget.value)} aria-label="event or payload" />
        <button type="submit" class="primary">
          Dry run
        </button>
        {error && <p class="error">{error}</p>}
        {results?.map((r) => (
          <div key={r.event.id} class="dry-result">
            <p>
              <strong>{r.event.title}</strong>: matched route(s) {r.matched_routes.length ? r.matched_routes.join(', ') : 'none'};{' '}
              {r.receivers.length === 0 ? 'reaches no receiver' : `reaches ${r.receivers.map((x) => x.receiver).join(', ')}`}
            </p>
            {r.receivers.map((x) => (
              <div key={x.receiver} class="rendered">
                <h4>
                  {x.receiver} <span class="muted">{x.type}</span>
                </h4>
                {x.output.map((o, i) => (
                  <pre key={i}>
                    {o.kind === 'http' && o.request
                      ? `${o.request.method} ${o.request.url}\n\n${pretty(o.request.body ?? '')}`
                      : o.kind === 'log'
                        ? o.log?.message
                        : JSON.stringify(o.tcp ?? o)}
                  </pre>
                ))}
              </div>
            ))}
          </div>
        ))}
      </form>
    </section>
  );
}

/* ------------------------------------------------------- Checks & sources */

interface CheckResult {
  ok: boolean;
  latency_ms: number;
  message: string;
  at: string;
}
interface Check {
  name: string;
  type: string;
  state: string;
  since: string | null;
  last_result: CheckResult | null;
  history?: CheckResult[];
}
interface SourceView {
  name: string;
  type: string;
  kind: string;
  state: string;
  since: string | null;
  detail: string | null;
  accepted: number;
  rejected: number;
}

/** Latency as bars, red where the run failed: SVG attributes only (the CSP allows no inline style). */
function Chart({ history }: { history: CheckResult[] }) {
  const w = 200;
  const h = 40;
  const max = Math.max(1, ...history.map((r) => r.latency_ms));
  const bw = w / Math.max(history.length, 1);
  return (
    <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} class="chart" role="img" aria-label="latency of the last runs">
      {history.map((r, i) => {
        const bh = Math.max(2, (r.latency_ms / max) * (h - 2));
        return <rect key={r.at} x={i * bw} y={h - bh} width={Math.max(1, bw - 1)} height={bh} class={r.ok ? 'ok' : 'bad'} />;
      })}
    </svg>
  );
}

export function CheckSourcesPage() {
  const [checks, setChecks] = useState<Check[]>([]);
  const [sources, setSources] = useState<SourceView[]>([]);
  const [error, setError] = useState('');
  const load = async () => {
    try {
      const list = (await api<{ checks: Check[] }>('GET', '/api/v1/checks')).checks;
      setChecks(await Promise.all(list.map((c) => api<Check>('GET', `/api/v1/checks/${encodeURIComponent(c.name)}`))));
      setSources((await api<{ sources: SourceView[] }>('GET', '/api/v1/sources')).sources);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    void load();
    const t = setInterval(load, 10_000);
    return () => clearInterval(t);
  }, []);
  return (
    <section>
      <h2>Health checks</h2>
      {error && <p class="error">{error}</p>}
      {checks.length === 0 && <p class="muted">No health checks are configured.</p>}
      <div class="cards">
        {checks.map((c) => {
          const h = c.history ?? [];
          const up = h.length ? Math.round((h.filter((r) => r.ok).length / h.length) * 1000) / 10 : null;
          return (
            <div class="card" key={c.name}>
              <h3>
                {c.name} <span class="muted">{c.type}</span>
              </h3>
              <p>
                <span class={`badge ${c.state === 'ok' ? 'ok' : c.state === 'failing' ? 'bad' : ''}`}>{c.state}</span>{' '}
                {c.since && <span class="muted">since {when(c.since)}</span>}
              </p>
              <Chart history={h} />
              <p class="muted">
                {up === null ? 'no runs yet' : `${up}% up over the last ${h.length} runs`}
                {c.last_result && ` · last ${c.last_result.latency_ms} ms: ${c.last_result.message}`}
              </p>
            </div>
          );
        })}
      </div>
      <h2>Sources</h2>
      <table class="list sources">
        <thead>
          <tr>
            <th>name</th>
            <th>type</th>
            <th>state</th>
            <th>accepted</th>
            <th>rejected</th>
          </tr>
        </thead>
        <tbody>
          {sources.map((s) => (
            <tr key={s.name}>
              <td>{s.name}</td>
              <td>{s.type}</td>
              <td>
                <span class={`badge ${s.state === 'disconnected' ? 'bad' : 'ok'}`}>{s.state}</span>{' '}
                {s.since && <span class="muted">since {when(s.since)}</span>} {s.detail && <span class="muted">{s.detail}</span>}
              </td>
              <td>{s.accepted}</td>
              <td>{s.rejected}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {sources.length === 0 && <p class="muted">No sources are configured (events still arrive through the API).</p>}
    </section>
  );
}

/* ----------------------------------------------------------------- On-call */

interface Shift {
  user: string;
  from: string | null;
  to: string | null;
  override: boolean;
}
interface ScheduleView {
  name: string;
  time_zone: string;
  now: Shift;
  next: Shift | null;
  shifts: Shift[];
}

const dayKey = (d: Date, tz: string) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);

export function OnCallPage() {
  const [data, setData] = useState<{ now: string; schedules: ScheduleView[] } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api<{ now: string; schedules: ScheduleView[] }>('GET', '/api/v1/oncall?days=28')
      .then(setData)
      .catch((e) => setError((e as Error).message));
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  return (
    <section>
      <h2>On-call</h2>
      {data.schedules.length === 0 && <p class="muted">No schedules are configured (schedules: in herald.yaml).</p>}
      {data.schedules.map((s) => {
        const start = Date.parse(data.now);
        const days = Array.from({ length: 28 }, (_, i) => new Date(start + i * 86_400_000));
        // Each day lists everyone on duty at some point of it, in the schedule's time zone.
        const onDay = (d: Date) => {
          const key = dayKey(d, s.time_zone);
          return s.shifts.filter((x) => {
            const from = x.from ? Date.parse(x.from) : Number.NEGATIVE_INFINITY;
            const to = x.to ? Date.parse(x.to) : Number.POSITIVE_INFINITY;
            const a = Number.isFinite(from) ? dayKey(new Date(from), s.time_zone) : '0000';
            const b = Number.isFinite(to) ? dayKey(new Date(to - 1), s.time_zone) : '9999';
            return a <= key && key <= b;
          });
        };
        return (
          <div class="card schedule" key={s.name} data-name={s.name}>
            <h3>
              {s.name} <span class="muted">{s.time_zone}</span>
            </h3>
            <p class="now">
              On duty now: <strong>{s.now.user}</strong>
              {s.now.override && <span class="badge warn">override</span>} until {when(s.now.to)}
            </p>
            {s.next && (
              <p class="next">
                Next: <strong>{s.next.user}</strong>
                {s.next.override && <span class="badge warn">override</span>} from {when(s.next.from)}
              </p>
            )}
            <div class="calendar">
              {days.map((d) => (
                <div class="day" key={d.toISOString()}>
                  <div class="muted">
                    {new Intl.DateTimeFormat(undefined, { timeZone: s.time_zone, weekday: 'short', day: 'numeric', month: 'short' }).format(d)}
                  </div>
                  {onDay(d).map((x) => (
                    <div key={`${x.user}-${x.from}`} class={x.override ? 'who override' : 'who'}>
                      {x.user}
                    </div>
                  ))}
                </div>
              ))}
            </div>
          </div>
        );
      })}
    </section>
  );
}
