import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// `hotline serve` serves dist/ and the API on one origin; the dev server proxies to it.
export default defineConfig({
  plugins: [vue()],
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
})
