import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { i18n } from '../i18n'
import { useSession } from '../stores/session'
import Crew from './Crew.vue'

const order = (over: Record<string, unknown> = {}) => ({
  id: 12, title: '表井漏水', status: 'accepted', order_type: 'repair', category: '', region: '', address: '文三路 90 号', callers: [],
  due_ms: null, breached: false, on_the_way_ms: null, on_site_ms: null,
  attachments: [
    { id: '3', name: '表井.jpg', content_type: 'image/jpeg', size: 1000, by: 7, at_ms: 0 },
    { id: '4', name: '单据.pdf', content_type: 'application/pdf', size: 1000, by: 7, at_ms: 0 },
  ],
  ...over,
})

describe('the crew page', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('shows the photos of an order in hand and sends new ones to it', async () => {
    const calls: [string, RequestInit][] = []
    let now = order()
    vi.stubGlobal('fetch', vi.fn(async (path: string, init: RequestInit) => {
      calls.push([path, init])
      if (path.includes('/attachments')) {
        now = order({ attachments: [...now.attachments, { id: '5', name: 'image.jpg', content_type: 'image/jpeg', size: 9, by: 7, at_ms: 1 }] })
        return new Response(JSON.stringify(now), { status: 201 })
      }
      if (path.startsWith('/api/orders?')) return new Response(JSON.stringify([now]), { status: 200 })
      return new Response('[]', { status: 200 })
    }))
    setActivePinia(createPinia())
    useSession().info = { expires_at_ms: 0, permissions: ['handle_orders', 'work_orders'], user: { id: 7, role: 'back_office' } } as never
    const w = mount(Crew, { global: { plugins: [i18n], stubs: { RouterLink: RouterLinkStub } } })
    await flushPromises()
    const card = w.get('[data-test=crew-order-12]')
    // The photo only, not the PDF.
    expect(card.findAll('[data-test^=crew-photo-3]')).toHaveLength(1)
    expect(card.find('[data-test=crew-photo-4]').exists()).toBe(false)
    const input = card.get('[data-test=crew-photo-file]')
    expect(input.attributes('accept')).toBe('image/*')
    expect(input.attributes('capture')).toBe('environment')
    expect(input.attributes('multiple')).toBeDefined()

    // A camera's photo, named without an extension.
    const photo = new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0])], 'image', { type: 'image/jpeg' })
    Object.defineProperty(input.element, 'files', { value: [photo] })
    await input.trigger('change')
    await flushPromises()
    const sent = calls.find(([p]) => p.includes('/attachments'))
    expect(sent?.[0]).toBe('/api/orders/12/attachments?name=image.jpg')
    expect(sent?.[1].body).toBe(photo)
    expect(w.get('[data-test=crew-order-12]').find('[data-test=crew-photo-5]').exists()).toBe(true)
    w.unmount()
  })

  it('offers no photo button before the order is accepted', async () => {
    vi.stubGlobal('fetch', vi.fn(async (path: string) => new Response(JSON.stringify(path.startsWith('/api/orders?') ? [order({ status: 'dispatched', attachments: [] })] : []), { status: 200 })))
    setActivePinia(createPinia())
    useSession().info = { expires_at_ms: 0, permissions: ['handle_orders', 'work_orders'], user: { id: 7, role: 'back_office' } } as never
    const w = mount(Crew, { global: { plugins: [i18n], stubs: { RouterLink: RouterLinkStub } } })
    await flushPromises()
    expect(w.get('[data-test=crew-order-12]').find('[data-test=crew-photo]').exists()).toBe(false)
    w.unmount()
  })
})
