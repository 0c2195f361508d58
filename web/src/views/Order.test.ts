import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { i18n } from '../i18n'
import { MAX_BYTES } from '../attachments'
import { useSession } from '../stores/session'
import Order from './Order.vue'

const files = [
  { id: '3', name: '表井.jpg', content_type: 'image/jpeg', size: 2_500_000, by: 7, at_ms: 0 },
  { id: '4', name: '通话.wav', content_type: 'audio/wav', size: 80_000, by: null, at_ms: 0 },
  { id: '5', name: '单据.pdf', content_type: 'application/pdf', size: 1_000, by: 7, at_ms: 0 },
]
const order = (over: Record<string, unknown> = {}) => ({
  id: 12, title: '表井漏水', status: 'accepted', order_type: 'repair', category: '', region: '', address: '', callers: [], calls: [], clocks: [],
  fields: {}, merged: [], priority: 'normal', description: '', breached: false, first_contact: false, reopened: 0, callback_attempts: 0,
  created_ms: 0, updated_ms: 0, version: 3, callback_required: true, attachments: files, ...over,
})

async function open(o: ReturnType<typeof order>, permissions: string[]) {
  const calls: string[] = []
  vi.stubGlobal('fetch', vi.fn(async (path: string) => {
    calls.push(path)
    if (path === '/api/orders/12') return new Response(JSON.stringify(o), { status: 200 })
    if (path === '/api/orders/12/timeline') return new Response(JSON.stringify({ events: [], names: { 7: '刘强' } }), { status: 200 })
    return new Response('[]', { status: 200 })
  }))
  setActivePinia(createPinia())
  useSession().info = { expires_at_ms: 0, permissions, user: { id: 9, role: 'agent' } } as never
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/orders/:id', component: Order }, { path: '/orders', component: Order }] })
  await router.push('/orders/12')
  const w = mount(Order, { global: { plugins: [i18n, router] } })
  await flushPromises()
  return { w, calls }
}

describe('the order page', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('shows photos as thumbnails, recordings as players and the rest as links, with size and who', async () => {
    const { w } = await open(order(), ['view_orders', 'work_orders'])
    const box = w.get('[data-test=order-attachments]')
    expect(box.find('[data-test=attachment-3] .el-image').exists()).toBe(true)
    expect(box.get('[data-test=attachment-3]').text()).toContain('2.4 MB · 刘强')
    expect(box.get('[data-test=attachment-4] audio').attributes('src')).toBe('/api/orders/12/attachments/4')
    expect(box.get('[data-test=attachment-4]').text()).toContain('系统')
    const pdf = box.get('[data-test=attachment-5] a')
    expect(pdf.attributes('href')).toBe('/api/orders/12/attachments/5')
    expect(pdf.attributes('download')).toBe('单据.pdf')
    expect(box.get('[data-test=attach-file]').attributes('accept')).toBe('.jpg,.jpeg,.png,.webp,.pdf,.wav,.docx,.xlsx')
    w.unmount()
  })

  it('refuses a file over 10 MB before sending it', async () => {
    const { w, calls } = await open(order(), ['view_orders', 'work_orders'])
    const input = w.get('[data-test=attach-file]')
    const big = new File([new Uint8Array(4)], '现场.jpg', { type: 'image/jpeg' })
    Object.defineProperty(big, 'size', { value: MAX_BYTES + 1 })
    Object.defineProperty(input.element, 'files', { value: [big] })
    await input.trigger('change')
    await flushPromises()
    expect(calls.some((p) => p.includes('/attachments'))).toBe(false)
    expect(document.body.textContent).toContain('现场.jpg：文件超过 10 MB，不能上传')
    w.unmount()
  })

  it('offers no upload on a closed order, nor to a role without work_orders', async () => {
    const closed = await open(order({ status: 'closed', closed_ms: 1 }), ['view_orders', 'work_orders'])
    expect(closed.w.find('[data-test=attach-file]').exists()).toBe(false)
    closed.w.unmount()
    const inspector = await open(order(), ['view_orders'])
    expect(inspector.w.find('[data-test=attach-file]').exists()).toBe(false)
    expect(inspector.w.find('[data-test=attachment-3]').exists()).toBe(true)
    inspector.w.unmount()
  })
})
