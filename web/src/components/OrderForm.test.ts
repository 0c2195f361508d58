import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { i18n } from '../i18n'
import { useSession } from '../stores/session'
import OrderForm from './OrderForm.vue'

const setup = { types: { repair: { name_zh: '报修', name_en: 'Repairs', callback_required: true } }, groups: {} }
const order = (id: number, over: Record<string, unknown> = {}) => ({
  id, title: '表井漏水', status: 'dispatched', order_type: 'repair', category: '', region: '浙江省/杭州市/西湖区', address: '文三路 90 号',
  callers: [], calls: [], clocks: [], fields: {}, merged: [], priority: 'normal', description: '', breached: false, first_contact: false,
  reopened: 0, callback_attempts: 0, created_ms: 0, updated_ms: 0, version: 2, callback_required: true, attachments: [], ...over,
})

async function open(props: Record<string, unknown>, answer: (path: string, init?: RequestInit) => Response) {
  const calls: { path: string; method: string; body?: string }[] = []
  vi.stubGlobal('fetch', vi.fn(async (path: string, init?: RequestInit) => {
    calls.push({ path, method: init?.method ?? 'GET', body: init?.body as string | undefined })
    return answer(path, init)
  }))
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  setActivePinia(createPinia())
  useSession().info = { expires_at_ms: 0, permissions: ['view_orders', 'work_orders'], user: { id: 9, role: 'agent' } } as never
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div />' } }] })
  const w = mount(OrderForm, { props: { setup, person: true, ...props }, global: { plugins: [i18n, router] } })
  await flushPromises()
  return { w, calls }
}
const settle = async () => {
  vi.advanceTimersByTime(400)
  await flushPromises()
}
const asked = (calls: { path: string }[]) => calls.filter((c) => c.path.startsWith('/api/orders/similar'))

describe('the intake form’s duplicates (并单)', () => {
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('asks once the customer is known, and lets the call join an open order', async () => {
    const { w, calls } = await open({ customerId: 42, callId: 'call-7' }, (path, init) => {
      if (path.startsWith('/api/orders/similar')) return new Response(JSON.stringify([{ likeness: 'same_customer', order: order(5) }]), { status: 200 })
      if (path === '/api/orders/5/calls' && init?.method === 'POST') return new Response(JSON.stringify(order(5, { calls: ['call-7'] })), { status: 200 })
      return new Response('{}', { status: 500 })
    })
    expect(asked(calls)).toHaveLength(0)
    await settle()
    expect(asked(calls).map((c) => c.path)).toEqual(['/api/orders/similar?customer_id=42'])
    const box = w.get('[data-test=order-similar]')
    expect(box.text()).toContain('可能重复的工单')
    expect(box.text()).toContain('同一客户')
    expect(box.text()).toContain('已派单')
    expect(box.get('a').attributes('href')).toBe('/orders/5')
    expect(box.get('a').attributes('target')).toBe('_blank')

    await w.get('[data-test=similar-attach-5]').trigger('click')
    await flushPromises()
    const post = calls.find((c) => c.method === 'POST')!
    expect(post.path).toBe('/api/orders/5/calls')
    expect(JSON.parse(post.body!)).toEqual({ call_id: 'call-7' })
    expect(calls.some((c) => c.path === '/api/orders' && c.method === 'POST')).toBe(false)
    const [o, attached] = w.emitted('created')![0]
    expect(o.id).toBe(5)
    expect(attached).toBe(true)
    w.unmount()
  })

  it('waits for the typing to stop, asks with what the server accepts, and only links without a call', async () => {
    const { w, calls } = await open({}, (path) =>
      new Response(JSON.stringify(path.includes('address=') ? [{ likeness: 'same_address', order: order(8) }] : []), { status: 200 }))
    await settle()
    expect(asked(calls)).toHaveLength(0) // no customer, no region: nothing could match
    await w.get('input[data-test=order-region]').setValue('浙江省/杭州市')
    vi.advanceTimersByTime(200)
    await w.get('input[data-test=order-region]').setValue('浙江省/杭州市/西湖区')
    await w.get('input[data-test=order-address]').setValue('文三路 90 号')
    await settle()
    expect(asked(calls).map((c) => decodeURIComponent(c.path))).toEqual(['/api/orders/similar?region=浙江省/杭州市/西湖区&address=文三路+90+号'])
    expect(w.get('[data-test=order-similar]').text()).toContain('同一地址')
    expect(w.find('[data-test=similar-attach-8]').exists()).toBe(false)

    await w.get('input[data-test=order-region]').setValue('区'.repeat(101))
    await settle()
    expect(asked(calls)).toHaveLength(1) // too long to ask about: not sent
    expect(w.find('[data-test=order-similar]').exists()).toBe(false)
    w.unmount()
  })

  it('stays quiet when the server cannot answer', async () => {
    const err = vi.spyOn(console, 'error')
    const { w, calls } = await open({ customerId: 3 }, () => new Response(JSON.stringify({ code: 'internal', message: 'x' }), { status: 500 }))
    await settle()
    expect(asked(calls)).toHaveLength(1)
    expect(w.find('[data-test=order-similar]').exists()).toBe(false)
    expect(w.find('[data-test=order-error]').exists()).toBe(false)
    expect(err).not.toHaveBeenCalled()
    err.mockRestore()
    w.unmount()
  })
})
