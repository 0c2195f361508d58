import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { i18n, setLocale } from '../i18n'
import { useSession } from '../stores/session'
import Glossary from './Glossary.vue'

const glossary = {
  metrics: [
    { key: 'service_level', unit: 'ratio', name_zh: '服务水平', name_en: 'Service level', formula_zh: '按租户选定的公式', formula_en: "By the tenant's formula" },
    { key: 'asa', unit: 'seconds', name_zh: '平均应答速度', name_en: 'ASA', formula_zh: '等待之和 ÷ 接通量', formula_en: 'Total wait ÷ answered' },
  ],
  settings: { service_level_formula: 'abandoned_after_t', service_level_s: 30, short_abandon_s: 10, exclude_short_abandons: false, count_flow_outs: true, repeat_days: 3 },
  thresholds_s: [5, 10, 30],
}

describe('the glossary page (指标口径)', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    setLocale('zh-CN')
  })

  async function mountAs(permissions: string[]) {
    const paths: string[] = []
    vi.stubGlobal('fetch', vi.fn(async (path: string) => {
      paths.push(path)
      return new Response(JSON.stringify(glossary), { status: 200 })
    }))
    setActivePinia(createPinia())
    useSession().info = { expires_at_ms: 0, permissions, user: { id: 1, role: 'quality_inspector' } } as never
    const w = mount(Glossary, { global: { plugins: [i18n], stubs: { RouterLink: RouterLinkStub } } })
    await flushPromises()
    return { w, paths }
  }

  it('lists each metric with its formula and the definitions in force, asking for the glossary only', async () => {
    const { w, paths } = await mountAs(['view_reports'])
    expect(paths).toEqual(['/api/reports/glossary'])
    expect(w.get('[data-test=glossary-service_level]').text()).toBe('服务水平')
    expect(w.get('[data-test=glossary-table]').text()).toContain('等待之和 ÷ 接通量')
    expect(w.get('[data-test=glossary-formula]').text()).toBe('T 内接通 ÷（接通 + T 后放弃）')
    expect(w.get('[data-test=glossary-sl-time]').text()).toBe('30 秒')
    expect(w.get('[data-test=glossary-rules]').text()).toContain('全中心只计一次')
    // Only who may change them is offered the settings.
    expect(w.find('[data-test=glossary-edit]').exists()).toBe(false)
    w.unmount()
  })

  it('speaks English, and offers the center settings to an administrator', async () => {
    setLocale('en')
    const { w } = await mountAs(['view_reports', 'view_config', 'manage_config'])
    expect(w.get('[data-test=glossary-asa]').text()).toBe('ASA')
    expect(w.get('[data-test=glossary-formula]').text()).toBe('answered in T ÷ (answered + abandoned after T)')
    expect(w.get('[data-test=glossary-rules]').text()).toContain('the center counts it once')
    expect(w.find('[data-test=glossary-edit]').exists()).toBe(true)
    w.unmount()
  })
})
