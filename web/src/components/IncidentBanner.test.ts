import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { i18n } from '../i18n'
import { useSession } from '../stores/session'
import type { SessionInfo } from '../types'
import IncidentBanner from './IncidentBanner.vue'

const { get } = vi.hoisted(() => ({ get: vi.fn() }))
vi.mock('../api', async (actual) => ({ ...(await actual<typeof import('../api')>()), get }))

const incident = (key: string, title: string, affects: boolean) => ({
  key, title, message: `${title}，预计恢复供水`, regions: ['浙江省/杭州市/西湖区'], address_prefixes: [], starts_ms: 0,
  expected_end_ms: new Date(new Date().toDateString()).getTime() + 18 * 3_600_000, affects_customer: affects,
})

function as(permissions: string[]) {
  useSession().info = { permissions, user: {}, expires_at_ms: 0 } as unknown as SessionInfo
}

describe('the incident banner', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    get.mockReset()
  })
  afterEach(() => vi.useRealTimers())

  it('stands out for an incident affecting the caller, and names the others in a line', async () => {
    as(['view_orders'])
    get.mockResolvedValue([incident('wensan', '文三路爆管停水', true), incident('binjiang', '滨江区计划停水', false)])
    const w = mount(IncidentBanner, { props: { customerId: 7 }, global: { plugins: [i18n] } })
    await flushPromises()
    expect(get).toHaveBeenCalledWith('/api/incidents/active?customer_id=7')
    const alert = w.get('[data-test=incident-affects-wensan]')
    expect(alert.text()).toContain('来电客户所在区域：文三路爆管停水')
    expect(alert.text()).toContain('预计 18:00 恢复')
    expect(w.get('[data-test=incident-others]').text()).toContain('滨江区计划停水')
    expect(w.find('[data-test=incident-affects-binjiang]').exists()).toBe(false)

    // Another caller: asked again for them.
    get.mockResolvedValue([incident('binjiang', '滨江区计划停水', false)])
    await w.setProps({ customerId: null })
    await flushPromises()
    expect(get).toHaveBeenLastCalledWith('/api/incidents/active')
    expect(w.find('[data-test=incident-affects-wensan]').exists()).toBe(false)
    w.unmount()
  })

  it('asks again every minute', async () => {
    vi.useFakeTimers()
    as(['view_orders'])
    get.mockResolvedValue([])
    const w = mount(IncidentBanner, { props: { customerId: null }, global: { plugins: [i18n] } })
    await flushPromises()
    expect(get).toHaveBeenCalledTimes(1)
    expect(w.find('[data-test=incident-banner]').exists()).toBe(false)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(get).toHaveBeenCalledTimes(2)
    w.unmount()
  })

  it('asks nothing of a role that may not read incidents, and shows nothing when refused', async () => {
    as(['take_contacts'])
    const w = mount(IncidentBanner, { props: { customerId: 7 }, global: { plugins: [i18n] } })
    await flushPromises()
    expect(get).not.toHaveBeenCalled()
    expect(w.find('[data-test=incident-banner]').exists()).toBe(false)

    as(['view_orders'])
    get.mockRejectedValue(new Error('403'))
    const refused = mount(IncidentBanner, { props: { customerId: 7 }, global: { plugins: [i18n] } })
    await flushPromises()
    expect(refused.find('[data-test=incident-banner]').exists()).toBe(false)
    w.unmount()
    refused.unmount()
  })
})
