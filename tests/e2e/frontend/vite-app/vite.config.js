import { defineConfig } from 'vite';
import origind from 'vite-plugin-origind';

// APP_VERSION changes the bytes of every chunk, so each test release is a new build.
export default defineConfig({
  define: { __APP_VERSION__: JSON.stringify(process.env.APP_VERSION || 'dev') },
  build: { manifest: true, emptyOutDir: true },
  plugins: [origind()],
});
