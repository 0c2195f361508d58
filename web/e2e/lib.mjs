// What the browser tests share: child processes cleaned up at the end, checks counted, free
// ports, sipp scenarios with their placeholders filled in, a center started from the
// built binary on a temporary database, and a page watcher that counts console errors
// and every answer of 400 or more.

import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const children = []
let failures = 0

export function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
  if (!ok) failures++
  return ok
}


export function freePort() {
  return new Promise((res) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => res(port))
    })
  })
}

export function run(cmd, args, opts = {}) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts })
  children.push(p)
  return p
}

export function waitExit(p, ms) {
  return new Promise((res) => {
    if (p.exitCode !== null) return res(p.exitCode)
    const t = setTimeout(() => res(null), ms)
    p.on('exit', (code) => {
      clearTimeout(t)
      res(code)
    })
  })
}

/** A sipp scenario from `file` with `{{placeholders}}` filled in, run against the center. */
export function sipp(dir, sip, file, fill, args) {
  let xml = readFileSync(file, 'utf8')
  for (const [k, v] of Object.entries(fill)) xml = xml.replaceAll(`{{${k}}}`, v)
  const name = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}-${file.split('/').pop()}`
  writeFileSync(join(dir, name), xml)
  return run('sipp', [`127.0.0.1:${sip}`, '-sf', name, '-m', '1', '-nostdin', '-trace_err', '-timeout', '60s', ...args], { cwd: dir })
}

/** `hotline serve --demo` on SQLite in `dir`, SIP on loopback (and `extra` flags); resolves to its URL. */
export function startCenter(hotline, { dir, sip, rtp, web, listen = '127.0.0.1:0', extra = [] }) {
  const server = run(hotline, [
    'serve', '--demo', '--listen', listen, '--database', `sqlite://${dir}/h.db`,
    '--sip', `127.0.0.1:${sip}`, '--rtp-ports', `${rtp}-${rtp + 200}`, '--data-dir', join(dir, 'data'),
    '--prompts', join(dir, 'no-prompts'), '--web', join(web, 'dist'), ...extra,
  ])
  let log = ''
  server.stderr.on('data', (d) => (log += d))
  const url = new Promise((res, rej) => {
    let buf = ''
    const t = setTimeout(() => rej(new Error('the center did not start:\n' + log)), 60_000)
    server.stdout.on('data', (d) => {
      buf += d
      const m = buf.match(/running at (http:\/\/[0-9.:]+)\//)
      if (m && buf.includes('Press Ctrl-C')) {
        clearTimeout(t)
        res(m[1])
      }
    })
    server.on('exit', () => rej(new Error('the center exited:\n' + log)))
  })
  return { server, url, log: () => log }
}

/** Counts a page's console errors, uncaught exceptions and answers of 400 or more. */
export function watch(page, who, into) {
  page.on('console', (m) => m.type() === 'error' && into.push(`${who}: ${m.text()}`))
  page.on('pageerror', (e) => into.push(`${who}: ${e.message}`))
  page.on('response', (r) => r.status() >= 400 && into.push(`${who}: ${r.status()} ${r.request().method()} ${r.url()}`))
}

/** The JSON API, as a script calls it (a bearer token). */
export function apiClient(base) {
  return async (method, path, token, body) => {
    const r = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    return { status: r.status, body: await r.json().catch(() => null) }
  }
}

function cleanUp() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
}

/** Runs a test's `main`: an exception is a failure, children are killed, the exit code says. */
export async function runMain(main, name) {
  try {
    await main()
  } catch (e) {
    console.error(e)
    failures++
  } finally {
    cleanUp()
  }
  if (failures) {
    console.error(`${failures} check(s) failed`)
    process.exit(1)
  }
  console.log(`${name}: all checks passed`)
}
