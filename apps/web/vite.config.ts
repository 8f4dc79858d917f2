import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Where `npm run dev` sends API calls: the gateway of a running `npm start`.
 * @default http://127.0.0.1:8080
 */
const gateway = process.env.TEND_GATEWAY_URL ?? 'http://127.0.0.1:8080';

/**
 * The web app is built into `dist/` and served by the gateway at `/`. File names carry a content
 * hash so the gateway can let browsers keep them for a year; only `index.html` is revalidated.
 */
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // The gateway's CSP allows no inline script: never inline the module-preload helper.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': gateway,
      '/openapi.json': gateway,
      '/web-config.json': gateway,
      '/ws': { target: gateway.replace(/^http/, 'ws'), ws: true },
    },
  },
});
