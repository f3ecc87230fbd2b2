import { useEffect, useState } from 'preact/hooks';
import { ago, api, type Delivery, type HEvent, type Incident, when } from './api.js';
import { silenceHref } from './events.js';
import { Link, navigate, useKeys, useLocation } from './router.js';

type View = 'firing' | 'acknowledged' | 'resolved';

const stateOf = (i: Incident): View => (i.status === 'resolved' ? 'resolved' : i.acknowledged ? 'acknowledged' : 'firing');

interface Detail extends Incident {
  events: HEvent[];
  notifications: Delivery[];
}

function Timeline({ detail }: { detail: Detail }) {
  const items = [
    ...detail.events.map((e) => ({ at: e.received_at, kind: 'event' as const, text: `${e.status}: ${e.title}`, id: e.id })),
    ...detail.notifications.map((d) => ({
      at: d.created_at,
      kind: 'notify' as const,
      text: `${d.receiver}: ${d.state}${d.last_error ? ` (${d.last_error})` : ''}`,
      id: d.id,
    })),
  ].sort((a, b) => b.at.localeCompare(a.at));
  return (
    <ol class="timeline">
      {items.map((x) => (
        <li key={x.id} class={x.kind}>
          <span class="muted">{when(x.at)}</span> {x.kind === 'event' ? <Link href={`/events/${x.id}`}>{x.text}</Link> : <span>notified {x.text}</span>}
        </li>
      ))}
    </ol>
  );
}

export function IncidentsPage({ admin }: { admin: boolean }) {
  const loc = useLocation();
  const view = (loc.query.get('view') as View | null) ?? 'firing';
  const groupBy = loc.query.get('group') ?? '';
  const [list, setList] = useState<Incident[]>([]);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [open, setOpen] = useState<string | null>(loc.query.get('open'));
  const [detail, setDetail] = useState<Detail | null>(null);
  const [selected, setSelected] = useState<string | null>(null);

  const load = async () => {
    try {
      const r = await api<{ incidents: Incident[] }>('GET', `/api/v1/incidents?status=${view === 'resolved' ? 'resolved' : 'firing'}&limit=500`);
      setList(r.incidents.filter((i) => stateOf(i) === view));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    void load();
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, [view]);
  useEffect(() => {
    if (!open) return setDetail(null);
    api<Detail>('GET', `/api/v1/incidents/${encodeURIComponent(open)}`)
      .then(setDetail)
      .catch((e) => setError((e as Error).message));
  }, [open, list]);

  const setQuery = (k: string, v: string) => {
    const q = new URLSearchParams(loc.query);
    if (v) q.set(k, v);
    else q.delete(k);
    navigate(`/incidents?${q}`, true);
  };
  const act = async (i: Incident, what: 'ack' | 'resolve') => {
    setNotice('');
    try {
      const r = await api<{ notified?: string[] }>('POST', `/api/v1/incidents/${encodeURIComponent(i.id)}/${what}`);
      setNotice(what === 'ack' ? `Acknowledged "${i.title}"${r.notified?.length ? `; told ${r.notified.join(', ')}` : ''}.` : `Resolved "${i.title}".`);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const sel = list.find((i) => i.id === selected);
  const move = (d: number) => {
    const idx = list.findIndex((i) => i.id === selected);
    const next = list[Math.max(0, Math.min(list.length - 1, idx < 0 ? 0 : idx + d))];
    if (next) setSelected(next.id);
  };
  useKeys({
    j: () => move(1),
    k: () => move(-1),
    Enter: () => sel && setOpen(sel.id),
    a: () => sel && admin && stateOf(sel) === 'firing' && void act(sel, 'ack'),
    s: () => sel && admin && navigate(silenceHref(sel.labels)),
  });

  const labelNames = [...new Set(list.flatMap((i) => Object.keys(i.labels)))].sort();
  const groups = new Map<string, Incident[]>();
  for (const i of list) {
    const g = groupBy ? (i.labels[groupBy] ?? '(none)') : '';
    groups.set(g, [...(groups.get(g) ?? []), i]);
  }

  return (
    <section>
      <div class="bar">
        <h2>Incidents</h2>
        <div class="tabs">
          {(['firing', 'acknowledged', 'resolved'] as View[]).map((v) => (
            <button type="button" key={v} class={v === view ? 'active' : ''} onClick={() => setQuery('view', v)}>
              {v}
            </button>
          ))}
        </div>
        <label>
          group by{' '}
          <select value={groupBy} onChange={(e) => setQuery('group', e.currentTarget.value)} aria-label="group by">
            <option value="">(none)</option>
            {labelNames.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && <p class="error">{error}</p>}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {list.length === 0 && <p class="muted pad">No {view} incidents.</p>}
      {[...groups].map(([g, items]) => (
        <div key={g} class="group">
          {groupBy && (
            <h3>
              {groupBy}={g} <span class="muted">({items.length})</span>
            </h3>
          )}
          <table class="list incidents">
            <thead>
              <tr>
                <th>title</th>
                <th>seen</th>
                <th class="hide-s">first seen</th>
                <th>last seen</th>
                <th class="hide-s">route</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.id} data-id={i.id} class={i.id === selected ? 'selected' : ''} onClick={() => setSelected(i.id)}>
                  <td class="title">
                    <button type="button" class="linkish" onClick={() => setOpen(open === i.id ? null : i.id)}>
                      {i.title}
                    </button>
                    {i.acknowledged && <span class="badge"> ack by {i.acknowledged_by}</span>}
                  </td>
                  <td>{i.times_seen}×</td>
                  <td class="hide-s">{when(i.first_seen)}</td>
                  <td title={when(i.last_seen)}>{ago(i.last_seen)}</td>
                  <td class="hide-s">{i.route}</td>
                  <td class="actions">
                    {admin && stateOf(i) === 'firing' && (
                      <button type="button" onClick={() => void act(i, 'ack')}>
                        Acknowledge
                      </button>
                    )}
                    {admin && i.status === 'firing' && (
                      <button type="button" onClick={() => void act(i, 'resolve')}>
                        Resolve
                      </button>
                    )}
                    {admin && (
                      <Link href={silenceHref(i.labels)} class="button">
                        Silence…
                      </Link>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      {detail && (
        <div class="card" id="incident-detail">
          <h3>{detail.title}</h3>
          <p class="muted">
            key {detail.key} · {detail.times_seen}× · first {when(detail.first_seen)} · last {when(detail.last_seen)}
            {detail.resolved_at ? ` · resolved ${when(detail.resolved_at)}` : ''}
          </p>
          <p class="labels">
            {Object.entries(detail.labels).map(([k, v]) => (
              <span key={k} class="label">
                {k}={v}
              </span>
            ))}
          </p>
          <h4>Timeline</h4>
          <Timeline detail={detail} />
        </div>
      )}
      <p class="muted keys">
        Keys: <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> timeline · <kbd>a</kbd> acknowledge · <kbd>s</kbd> silence
      </p>
    </section>
  );
}
