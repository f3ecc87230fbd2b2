import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiFailure, api, type Session, setCsrf } from './api.js';
import { EventDetailPage, EventsPage } from './events.js';
import { IncidentsPage } from './incidents.js';
import { CheckSourcesPage, DeliveriesPage, OnCallPage, ReceiversPage, RoutesPage, SilencesPage } from './pages.js';
import { Link, navigate, useLocation } from './router.js';

const NAV: [string, string][] = [
  ['/events', 'Events'],
  ['/incidents', 'Incidents'],
  ['/silences', 'Silences'],
  ['/deliveries', 'Deliveries'],
  ['/receivers', 'Receivers'],
  ['/routes', 'Routes'],
  ['/checks', 'Checks & sources'],
  ['/oncall', 'On-call'],
];

function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const s = await api<Session>('POST', '/console/session', { token });
      onSignedIn({ ...s, mode: 'tokens' });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form class="card" onSubmit={submit}>
        <h1>Herald</h1>
        <p class="muted">
          Sign in with an API token from <code>auth.tokens</code>. A <code>read</code> token sees; an <code>admin</code> token acts.
        </p>
        <label>
          API token
          <input type="password" name="token" autocomplete="current-password" value={token} onInput={(e) => setToken(e.currentTarget.value)} required />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [loadError, setLoadError] = useState('');
  const loc = useLocation();
  const load = useCallback(async () => {
    try {
      const s = await api<Session>('GET', '/console/session');
      setCsrf(s.csrf);
      setSession(s);
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401) setSession(null);
      else setLoadError((err as Error).message);
    }
  }, []);
  useEffect(() => {
    void load();
    const out = () => setSession(null);
    window.addEventListener('herald:signed-out', out);
    return () => window.removeEventListener('herald:signed-out', out);
  }, [load]);

  if (loadError) return <p class="error">Herald did not answer: {loadError}</p>;
  if (session === undefined) return <p class="muted pad">Loading…</p>;
  if (session === null) {
    return (
      <SignIn
        onSignedIn={(s) => {
          setCsrf(s.csrf);
          setSession(s);
          if (loc.path === '/signin' || loc.path === '/') navigate('/events');
        }}
      />
    );
  }
  const signOut = async () => {
    await api('DELETE', '/console/session');
    setCsrf('');
    setSession(null);
  };
  const admin = session.scopes.includes('admin');
  const path = loc.path === '/' || loc.path === '/signin' ? '/events' : loc.path;
  let page = <EventsPage admin={admin} />;
  if (path.startsWith('/events/')) page = <EventDetailPage id={decodeURIComponent(path.slice(8))} admin={admin} />;
  else if (path === '/incidents') page = <IncidentsPage admin={admin} />;
  else if (path === '/silences') page = <SilencesPage admin={admin} />;
  else if (path === '/deliveries') page = <DeliveriesPage admin={admin} />;
  else if (path === '/receivers') page = <ReceiversPage admin={admin} />;
  else if (path === '/routes') page = <RoutesPage />;
  else if (path === '/checks') page = <CheckSourcesPage />;
  else if (path === '/oncall') page = <OnCallPage />;
  return (
    <div class="shell">
      <header class="top">
        <Link href="/events" class="brand">
          Herald
        </Link>
        <nav>
          {NAV.map(([href, label]) => (
            <Link key={href} href={href} class={path === href || (href === '/events' && path.startsWith('/events')) ? 'active' : ''}>
              {label}
            </Link>
          ))}
        </nav>
        <div class="who">
          {session.mode === 'open' ? (
            <span class="badge warn" title="auth.tokens is empty: Herald listens on loopback only and needs no sign-in">
              Open mode: no tokens configured, no sign-in
            </span>
          ) : (
            <>
              <span class="muted">
                {session.principal} ({admin ? 'admin' : 'read'})
              </span>
              <button type="button" onClick={signOut}>
                Sign out
              </button>
            </>
          )}
        </div>
      </header>
      <main class="content">{page}</main>
    </div>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
