import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

// `go build` embeds all:frontend/dist, so dist/.gitkeep must survive every
// build: Vite empties dist/ first, and this plugin puts the file back.
function keepGitkeep() {
  return {
    name: 'quarry-keep-gitkeep',
    apply: 'build' as const,
    closeBundle() {
      writeFileSync(resolve(import.meta.dirname, 'dist/.gitkeep'), '');
    },
  };
}

export default defineConfig({
  plugins: [svelte(), svelteTesting(), keepGitkeep()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    // `npm run dev` against `quarry --serve 127.0.0.1:8787`.
    proxy: { '/api': 'http://127.0.0.1:8787' },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
});
