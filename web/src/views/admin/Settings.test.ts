import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { i18n } from '../../i18n'
import { useSession } from '../../stores/session'
import Settings from './Settings.vue'

const loaded = {
  dispositions: [{ code: 'done', name_zh: '已解决', name_en: 'Solved' }],
  thresholds: [{ state: 'talking', amber_seconds: 300, red_seconds: 600 }],
  closed_loop: { fcr_days: 7, callback_attempts: 3, callback_days: 2 },
  reports: { service_level_formula: 'answered_in_t_over_all', service_level_s: 20, short_abandon_s: 5, exclude_short_abandons: true, count_flow_outs: false },
  version: 4,
}

describe('the center settings', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('show the report definitions and save what was loaded unchanged', async () => {
    const sent: unknown[] = []
    vi.stubGlobal('fetch', vi.fn(async (path: string, init: RequestInit) => {
      if (init?.method === 'PUT') sent.push(JSON.parse(String(init.body)))
      return new Response(JSON.stringify(loaded), { status: 200 })
    }))
    setActivePinia(createPinia())
    useSession().info = { expires_at_ms: 0, permissions: ['view_settings', 'manage_config', 'view_reports'], user: { id: 1, role: 'tenant_admin' } } as never
    const w = mount(Settings, { global: { plugins: [i18n], stubs: { RouterLink: RouterLinkStub } } })
    await flushPromises()
    const section = w.get('[data-test=report-settings]')
    expect(section.text()).toContain('服务水平公式')
    expect(w.find('[data-test=settings-glossary]').exists()).toBe(true)
    await w.get('[data-test=settings]').trigger('submit')
    await flushPromises()
    expect(sent).toEqual([loaded])
    w.unmount()
  })
})
