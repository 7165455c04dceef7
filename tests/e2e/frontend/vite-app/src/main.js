// The test app: one entry, one lazy chunk, the reload guard. The hash of the
// page's URL selects test variants: #noguard (no guard), #noss (a guard whose
// storage forgets: the loop control), #autolazy (load the lazy chunk at once).
import { installReloadGuard } from '@origind/reload-guard';

const h = location.hash;
const forgetful = { getItem: () => null, setItem: () => {} };
if (!h.includes('noguard'))
  installReloadGuard({ interval: 500, storage: h.includes('noss') ? forgetful : undefined });
const meta = document.querySelector('meta[name="origind-release"]');
window.app = {
  version: __APP_VERSION__,
  release: meta ? meta.content : '',
  lazy: () => import('./lazy.js').then((m) => m.lazy()),
  go: (path) => history.pushState({}, '', path),
};
document.getElementById('release').textContent = 'release ' + window.app.release;
if (h.includes('autolazy')) window.app.lazy().catch(() => {});
