/**
 * Vite build of the phenomap web app: `vite build --config src/web/vite.config.ts` writes dist/web/, which
 * `phenomap serve` (src/server) serves at /. For development, `vite --config src/web/vite.config.ts` proxies
 * /api to a running `phenomap serve` (PHENOMAP_API, default http://127.0.0.1:8080).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const webDir = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../../dist/web', import.meta.url));

export default defineConfig({
  root: webDir,
  base: '/',
  plugins: [react()],
  // Everything is bundled: the app never fetches anything from outside its own server.
  build: { outDir, emptyOutDir: true, sourcemap: true, target: 'es2022', chunkSizeWarningLimit: 800 },
  server: { proxy: { '/api': process.env.PHENOMAP_API ?? 'http://127.0.0.1:8080' } },
  preview: { proxy: { '/api': process.env.PHENOMAP_API ?? 'http://127.0.0.1:8080' } },
});
