import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick } from 'vue'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter, type Router } from 'vue-router'
import { MAX_AGE_MS, shouldNotify, SKEW_MS, useSlaNotifications, type Listener } from './slaNotify'
import { useSession } from './stores/session'

const LOADED = 1_000_000_000
const handler: Listener = { userId: 7, seesAll: false, since: LOADED }
const supervisor: Listener = { userId: 3, seesAll: true, since: LOADED }

/** An `order.sla` event of order 12, at `at_ms`, to `to`. */
const sla = (signal: 'warn' | 'breach' | 'escalate', to: number | null, over: { id?: string; seq?: number; at_ms?: number } = {}) => ({
  id: over.id ?? `order-sla:12:resolve:0:${signal}`,
  seq: over.seq ?? 40,
  kind: 'order.sla',
  at_ms: over.at_ms ?? LOADED + 5_000,
  payload: { order_id: 12, limit: 'resolve', signal, to_user_id: to, due_ms: LOADED + 60_000 },
})
const now = LOADED + 6_000

describe('which SLA events are told to whom', () => {
  it('tells the handler of a warning to them, and a lead of a breach to them', () => {
    expect(shouldNotify(sla('warn', 7), handler, new Set(), now)).toBe(true)
    expect(shouldNotify(sla('breach', 7), handler, new Set(), now)).toBe(true)
  })

  it('tells a supervisor of every breach and escalation but not of the warnings to others', () => {
    expect(shouldNotify(sla('warn', 7), supervisor, new Set(), now)).toBe(false)
    expect(shouldNotify(sla('breach', 7), supervisor, new Set(), now)).toBe(true)
    expect(shouldNotify(sla('breach', null), supervisor, new Set(), now)).toBe(true)
    // The limit long past: said to no one addressee, for the managers.
    expect(shouldNotify(sla('escalate', null), supervisor, new Set(), now)).toBe(true)
    // Their own warnings, as a handler, too.
    expect(shouldNotify(sla('warn', 3), supervisor, new Set(), now)).toBe(true)
  })

  it('does not tell others (should the server send them), nor of events of other kinds', () => {
    expect(shouldNotify(sla('warn', 8), handler, new Set(), now)).toBe(false)
    expect(shouldNotify(sla('breach', 8), handler, new Set(), now)).toBe(false)
    expect(shouldNotify(sla('warn', null), handler, new Set(), now)).toBe(false)
    expect(shouldNotify(sla('escalate', null), handler, new Set(), now)).toBe(false)
    expect(shouldNotify({ ...sla('warn', 7), kind: 'order.changed' }, handler, new Set(), now)).toBe(false)
  })

  it('does not tell of what happened before the page was loaded, nor of old news after a long disconnection', () => {
    expect(shouldNotify(sla('warn', 7, { at_ms: LOADED - SKEW_MS - 1 }), handler, new Set(), now)).toBe(false)
    expect(shouldNotify(sla('breach', 7, { at_ms: LOADED - 3_600_000 }), supervisor, new Set(), now)).toBe(false)
    // A clock a little behind the server's is allowed for.
    expect(shouldNotify(sla('warn', 7, { at_ms: LOADED - 1_000 }), handler, new Set(), now)).toBe(true)
    // The stream resuming after the laptop slept: hours later, the night's events are not news.
    const later = LOADED + 8 * 3_600_000
    expect(shouldNotify(sla('breach', 3, { at_ms: later - MAX_AGE_MS - 1 }), supervisor, new Set(), later)).toBe(false)
    expect(shouldNotify(sla('breach', 3, { at_ms: later - 60_000 }), supervisor, new Set(), later)).toBe(true)
  })

  it('tells each event once', () => {
    const told = new Set<string>()
    expect(shouldNotify(sla('warn', 7), handler, told, now)).toBe(true)
    expect(shouldNotify(sla('warn', 7), handler, told, now)).toBe(false)
    expect(shouldNotify(sla('warn', 7, { seq: 41 }), handler, told, now)).toBe(false) // the same event again
    // The breach of the same limit is another event.
    expect(shouldNotify(sla('breach', 7), handler, told, now)).toBe(true)
  })

  it('remembers a bounded number of events', () => {
    const told = new Set<string>()
    for (let i = 0; i < 600; i++) shouldNotify(sla('warn', 7, { id: `e${i}`, seq: i }), handler, told, now)
    expect(told.size).toBe(500)
    expect(told.has('e599')).toBe(true)
    expect(told.has('e0')).toBe(false)
  })
})

const notified = vi.hoisted(() => [] as { title?: string; type?: string; duration?: number; onClick?: () => void; close: () => void }[])
vi.mock('element-plus', async (original) => ({
  ...(await original<typeof import('element-plus')>()),
  ElNotification: (o: Record<string, any>) => {
    const n = { ...o, close: vi.fn() }
    notified.push(n)
    return n
  },
}))

class FakeSocket {
  static all: FakeSocket[] = []
  closed = false
  onopen: (() => void) | null = null
  onmessage: ((m: { data: string }) => void) | null = null
  onclose: (() => void) | null = null
  onerror: (() => void) | null = null
  constructor(readonly url: string) {
    FakeSocket.all.push(this)
  }
  close() {
    this.closed = true
    this.onclose?.()
  }
}

describe('the notifications of the app', () => {
  const session = (role: string, permissions: string[]) => ({
    expires_at_ms: 0, permissions, user: { id: 7, role, tenant_id: 1, active: true, created_at_ms: 0, display_name: '刘强', username: 'weixiu', version: 1 },
  })
  let router: Router

  beforeEach(() => {
    FakeSocket.all = []
    notified.splice(0)
    vi.stubGlobal('WebSocket', FakeSocket)
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ id: 12, title: '表井漏水' }), { status: 200 })))
    setActivePinia(createPinia())
    router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { render: () => null } }] })
  })
  afterEach(() => vi.unstubAllGlobals())

  it('listen from now on, for a user who may see events and orders, and stop at logout', async () => {
    const s = useSession()
    const scope = effectScope()
    scope.run(() => useSlaNotifications(router))
    expect(FakeSocket.all).toHaveLength(0) // nobody logged in
    s.info = session('back_office', ['view_events', 'view_orders', 'work_orders', 'handle_orders']) as never
    await nextTick()
    expect(FakeSocket.all).toHaveLength(1)
    expect(FakeSocket.all[0].url).toMatch(/\/api\/events\?after=-1$/)

    const ws = FakeSocket.all[0]
    ws.onopen?.()
    const e = { ...sla('warn', 7, { at_ms: Date.now() }), seq: 90 }
    ws.onmessage?.({ data: JSON.stringify(e) })
    ws.onmessage?.({ data: JSON.stringify(e) })
    expect(notified).toHaveLength(1)
    expect(notified[0].type).toBe('warning')
    expect(notified[0].title).toBe('催办：工单 12')
    expect(notified[0].duration).toBeGreaterThan(0)
    ws.onmessage?.({ data: JSON.stringify({ ...sla('breach', 7, { at_ms: Date.now() }), seq: 91 }) })
    expect(notified[1].type).toBe('error')
    expect(notified[1].duration).toBe(0) // a breach stays
    notified[1].onClick?.()
    await new Promise((r) => setTimeout(r, 0))
    expect(router.currentRoute.value.path).toBe('/orders/12')

    // Lost, it resumes after the last event seen.
    vi.useFakeTimers()
    ws.onclose?.()
    vi.advanceTimersByTime(500)
    vi.useRealTimers()
    expect(FakeSocket.all[1].url).toMatch(/after=91$/)

    s.info = null
    await nextTick()
    expect(FakeSocket.all[1].closed).toBe(true)
    expect(notified[0].close).toHaveBeenCalled()
    scope.stop()
  })

  it('tell a supervisor of escalations and breaches, not of warnings to others', async () => {
    const s = useSession()
    const scope = effectScope()
    scope.run(() => useSlaNotifications(router))
    s.info = { ...session('supervisor', ['view_events', 'view_orders', 'manage_orders']), user: { ...session('supervisor', []).user, id: 3, role: 'supervisor' } } as never
    await nextTick()
    const ws = FakeSocket.all[0]
    ws.onmessage?.({ data: JSON.stringify({ ...sla('warn', 7, { at_ms: Date.now() }), seq: 1 }) })
    ws.onmessage?.({ data: JSON.stringify({ ...sla('escalate', null, { at_ms: Date.now() }), seq: 2 }) })
    expect(notified.map((n) => [n.title, n.type, n.duration])).toEqual([['严重超时：工单 12', 'error', 0]])
    scope.stop()
    expect(ws.closed).toBe(true)
  })

  it('open no socket for roles without events or orders', async () => {
    const s = useSession()
    const scope = effectScope()
    scope.run(() => useSlaNotifications(router))
    s.info = session('dealer', ['dealer_customers']) as never
    await nextTick()
    s.info = session('platform_admin', ['manage_tenants']) as never
    await nextTick()
    expect(FakeSocket.all).toHaveLength(0)
    scope.stop()
  })
})
