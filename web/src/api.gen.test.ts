// The API's types are generated from the server's OpenAPI document, never written by hand:
// this fails when `src/api.gen.ts` is not what `npm run api` makes of `openapi.json` (the
// server's own test keeps `openapi.json` equal to the document it serves).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

describe('the generated API types', () => {
  it('are what openapi-typescript makes of openapi.json', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'api-gen-')), 'api.gen.ts')
    execFileSync('node_modules/.bin/openapi-typescript', ['openapi.json', '--output', out], {
      stdio: 'pipe',
    })
    const fresh = readFileSync(out, 'utf8')
    const committed = readFileSync('src/api.gen.ts', 'utf8')
    expect(committed === fresh, 'src/api.gen.ts is stale: run `npm run api` in web/').toBe(true)
  }, 60_000)
})
