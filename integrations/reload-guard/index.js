// @origind/reload-guard: reload an open tab into the live release when one of
// its chunks fails to load, at most once per page release (no loop while the
// fleet converges), and at the next navigation when the page's release is
// older than the floor. Plain ES module, no dependencies. docs/promotion.md.
export function installReloadGuard(o = {}) {
  const w = window, m = document.querySelector('meta[name="origind-release"]') || {};
  const own = o.release || m.content, K = 'origind-reload:' + own;
  const url = o.url || (m.dataset || {}).document || '/.well-known/origind/release';
  const s = o.storage || sessionStorage;
  const older = o.older || ((a, b) => a.localeCompare(b, 'en', { numeric: true }) < 0);
  const has = k => { try { return s.getItem(K + k) } catch (e) {} };
  const set = k => { try { s.setItem(K + k, 1) } catch (e) {} };
  let floor, busy;
  const check = () => fetch(url, { cache: 'no-store' }).then(r => r.ok && r.json()).then(j => {
    floor = j && j.floor && older(own, j.floor) && !has('f');
    return j;
  }, () => 0);
  const fail = () => busy || has('') || (busy = check().then(j => {
    busy = 0;
    if (j && j.live && j.live != own && !has('')) set(''), location.reload();
  }));
  const nav = () => floor && (set('f'), floor = 0, location.reload());
  if (!own) return;
  w.addEventListener('vite:preloadError', fail);
  w.addEventListener('unhandledrejection', e => {
    const r = e.reason || 0;
    if (r.name == 'ChunkLoadError' || /dynamically imported|module script failed/.test(r.message)) fail();
  });
  w.addEventListener('error', e => e.target.type == 'module' && fail(), true);
  w.addEventListener('popstate', nav);
  const push = history.pushState;
  history.pushState = function () { push.apply(this, arguments); nav(); };
  setInterval(check, o.interval || 6e4);
  check();
  return check;
}
