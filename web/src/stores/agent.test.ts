import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { describeState, useAgent } from './agent'

const customer = {
  id: 42, name: '王建国', phones: [{ number: '+8613912345678', label: 'mobile' }], emails: [], addresses: [],
  segment: 'large_account', level: 5, qualification: '', id_number: null, blacklisted: false,
  blacklist_reason: '', notes: '', version: 1,
}

function serve(routes: Record<string, unknown>) {
  const calls: string[] = []
  vi.stubGlobal('fetch', async (url: string) => {
    calls.push(url)
    const body = routes[url.split('?')[0]] ?? routes[url]
    return new Response(body === undefined ? '{"code":"not_found","message":"nope"}' : JSON.stringify(body), {
      status: body === undefined ? 404 : 200,
    })
  })
  return calls
}

const ringing = (user: number, extra: Record<string, unknown> = {}) => ({
  seq: 10, id: 'r', at_ms: 100_000, kind: 'call.ringing',
  payload: { call_id: 'c1', user_id: user, to_user_id: user, caller: '+8613912345678', dialled: '96332', queue: 'repair', ivr_path: ['welcome', 'menu'], waited_ms: 4000, customer_id: null, ...extra },
})

describe('the agent desktop store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
  })

  it('reads engine states as the API does', () => {
    expect(describeState('ready')).toEqual(['ready', null])
    expect(describeState({ not_ready: 'break' })).toEqual(['not_ready', 'break'])
    expect(describeState(null)).toEqual(['offline', null])
  })

  it('pops the card of the one customer with the caller\'s number, with the timeline', async () => {
    const calls = serve({
      '/api/customers/lookup': { number: '+8613912345678', customers: [customer] },
      '/api/customers/42/timeline': [{ seq: 3, id: 'x', at_ms: 1, kind: 'call.ended', payload: {} }],
    })
    const a = useAgent()
    a.status = { user_id: 7, display_name: 'A', state: 'ready', reason: null, extension: '1001', since_ms: 0, wrap_up_until_ms: null, now_ms: 0, call: null }
    a.onEvent(ringing(7))
    await vi.waitFor(() => expect(a.contact?.timeline).toHaveLength(1))
    expect(a.contact?.customer?.name).toBe('王建国')
    expect(a.contact?.phase).toBe('ringing')
    expect(a.contact?.arrived_at_ms).toBe(96_000)
    expect(a.contact?.ivr_path).toEqual(['welcome', 'menu'])
    expect(calls[0]).toContain('/api/customers/lookup?number=%2B8613912345678')
  })

  it('offers a choice when several customers share the number, and ignores others\' calls', async () => {
    serve({ '/api/customers/lookup': { number: 'x', customers: [customer, { ...customer, id: 43, name: '王建军' }] } })
    const a = useAgent()
    a.status = { user_id: 7, display_name: 'A', state: 'ready', reason: null, extension: '1001', since_ms: 0, wrap_up_until_ms: null, now_ms: 0, call: null }
    a.onEvent(ringing(8))
    expect(a.contact).toBeNull()
    a.onEvent(ringing(7))
    await vi.waitFor(() => expect(a.contact?.candidates).toHaveLength(2))
    expect(a.contact?.customer).toBeNull()
  })

  it('drops the pop of a call that rang here but was answered elsewhere, keeps one to wrap up', async () => {
    serve({ '/api/customers/lookup': { number: 'x', customers: [] } })
    const a = useAgent()
    a.status = { user_id: 7, display_name: 'A', state: 'ready', reason: null, extension: '1001', since_ms: 0, wrap_up_until_ms: null, now_ms: 0, call: null }
    a.onEvent(ringing(7))
    a.onEvent({ seq: 11, id: 'e', at_ms: 1, kind: 'call.ended', payload: { call_id: 'c1', agent_id: 9 } })
    expect(a.contact).toBeNull()
    a.onEvent(ringing(7))
    a.onEvent({ seq: 12, id: 'a', at_ms: 2, kind: 'acd.call_answered', payload: { user_id: 7 } })
    a.onEvent({ seq: 13, id: 'e2', at_ms: 3, kind: 'call.ended', payload: { call_id: 'c1', agent_id: 7 } })
    expect(a.contact?.phase).toBe('ended')
    // Wrapped up while still talking: the pop goes when the call does.
    a.onEvent(ringing(7))
    a.onEvent({ seq: 14, id: 'a2', at_ms: 4, kind: 'acd.call_answered', payload: { user_id: 7 } })
    a.contact!.wrapped = true
    a.onEvent({ seq: 15, id: 'e3', at_ms: 5, kind: 'call.ended', payload: { call_id: 'c1', agent_id: 7 } })
    expect(a.contact).toBeNull()
  })
})
