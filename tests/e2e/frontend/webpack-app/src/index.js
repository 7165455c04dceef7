// The webpack test app: one entry, one lazy chunk, the reload guard (same
// hash variants as the Vite app: #noguard, #noss, #autolazy).
import { installReloadGuard } from '@origind/reload-guard';

const h = location.hash;
const forgetful = { getItem: () => null, setItem: () => {} };
if (!h.includes('noguard'))
  installReloadGuard({ interval: 500, storage: h.includes('noss') ? forgetful : undefined });
const meta = document.querySelector('meta[name="origind-release"]');
window.app = {
  version: __APP_VERSION__,
  release: meta ? meta.content : '',
  lazy: () => import(/* webpackChunkName: "lazy" */ './lazy.js').then((m) => m.lazy()),
  go: (path) => history.pushState({}, '', path),
};
document.body.insertAdjacentHTML('beforeend', '<p id="release">release ' + window.app.release + '</p>');
if (h.includes('autolazy')) window.app.lazy().catch(() => {});
