import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { i18n } from '../../i18n'
import { useSession } from '../../stores/session'
import { ElMessageBox } from 'element-plus'
import Settings from './Settings.vue'

const loaded = {
  dispositions: [{ code: 'done', name_zh: '已解决', name_en: 'Solved' }],
  thresholds: [{ state: 'talking', amber_seconds: 300, red_seconds: 600 }],
  closed_loop: { fcr_days: 7, callback_attempts: 3, callback_days: 2 },
  reports: { service_level_formula: 'answered_in_t_over_all', service_level_s: 20, short_abandon_s: 5, exclude_short_abandons: true, count_flow_outs: false },
  version: 4,
}

const withRanking = {
  ...loaded,
  reports: { ...loaded.reports, ranking: [{ metric: 'answered', weight: 50 }, { metric: 'fcr', weight: 30 }, { metric: 'asa', weight: 20 }] },
}

const glossary = {
  metrics: ['answered', 'talk_time', 'aht', 'fcr', 'satisfaction', 'asa'].map((key) => ({ key, unit: 'count', name_zh: key + '（中）', name_en: key, formula_zh: '', formula_en: '' })),
  settings: {},
  thresholds_s: [],
}

/** The settings page against a server holding `doc`; what it PUTs is kept in `sent`. */
async function mountWith(doc: unknown) {
  const sent: unknown[] = []
  const asked: string[] = []
  vi.stubGlobal('fetch', vi.fn(async (path: string, init: RequestInit) => {
    asked.push(path)
    if (init?.method === 'POST' && path === '/api/reports/rebuild') return new Response('{"events":123456}', { status: 200 })
    if (init?.method === 'PUT') {
      sent.push(JSON.parse(String(init.body)))
      return new Response(String(init.body), { status: 200 })
    }
    return new Response(JSON.stringify(path === '/api/reports/glossary' ? glossary : doc), { status: 200 })
  }))
  setActivePinia(createPinia())
  useSession().info = { expires_at_ms: 0, permissions: ['view_settings', 'manage_config', 'view_reports'], user: { id: 1, role: 'tenant_admin' } } as never
  const w = mount(Settings, { global: { plugins: [i18n], stubs: { RouterLink: RouterLinkStub } }, attachTo: document.body })
  await flushPromises()
  return { w, sent, asked }
}

describe('the center settings', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('show the report definitions and save what was loaded unchanged', async () => {
    const { w, sent } = await mountWith(loaded)
    const section = w.get('[data-test=report-settings]')
    expect(section.text()).toContain('服务水平公式')
    expect(w.find('[data-test=settings-glossary]').exists()).toBe(true)
    // No weights saved yet: the defaults are shown, and not sent back unless changed.
    const editor = w.get('[data-test=ranking-weights-editor]')
    expect(editor.findAll('.el-table__body tr').length).toBe(4)
    expect(editor.text()).toContain('answered（中）')
    await w.get('[data-test=settings]').trigger('submit')
    await flushPromises()
    expect(sent).toEqual([loaded])
    w.unmount()
  })

  it('save the star ranking\'s weights as they came, unchanged', async () => {
    const { w, sent } = await mountWith(withRanking)
    expect(w.get('[data-test=ranking-weights-editor]').findAll('.el-table__body tr').length).toBe(3)
    expect(w.get('[data-test=ranking-weights-editor]').text()).toContain('50%')
    await w.get('[data-test=settings]').trigger('submit')
    await flushPromises()
    expect(sent).toEqual([withRanking])
    w.unmount()
  })

  it('save the weights edited: one removed, one added', async () => {
    const { w, sent } = await mountWith(withRanking)
    await w.get('[data-test=weight-remove-2]').trigger('click')
    await w.get('[data-test=weight-add]').trigger('click')
    await w.get('[data-test=settings]').trigger('submit')
    await flushPromises()
    expect((sent[0] as typeof withRanking).reports.ranking).toEqual([
      { metric: 'answered', weight: 50 }, { metric: 'fcr', weight: 30 }, { metric: 'talk_time', weight: 10 },
    ])
    expect({ ...(sent[0] as typeof withRanking), reports: { ...(sent[0] as typeof withRanking).reports, ranking: [] } })
      .toEqual({ ...withRanking, reports: { ...withRanking.reports, ranking: [] } })
    w.unmount()
  })

  it('offer no more than 12 weights and say when all are zero', async () => {
    const { w } = await mountWith({ ...loaded, reports: { ...loaded.reports, ranking: [{ metric: 'answered', weight: 0 }] } })
    expect(w.get('[data-test=ranking-problem]').text()).toContain('至少一项')
    for (let i = 0; i < 11; i++) await w.get('[data-test=weight-add]').trigger('click')
    expect(w.get('[data-test=ranking-weights-editor]').findAll('.el-table__body tr').length).toBe(12)
    expect(w.get('[data-test=weight-add]').attributes('disabled')).toBeDefined()
    w.unmount()
  })

  it('rebuild the report data from the event log when confirmed, and say how many events', async () => {
    const confirm = vi.spyOn(ElMessageBox, 'confirm').mockResolvedValue('confirm' as never)
    const { w, asked } = await mountWith(loaded)
    await w.get('[data-test=rebuild-reports]').trigger('click')
    await flushPromises()
    expect(confirm).toHaveBeenCalledOnce()
    expect(asked).toContain('/api/reports/rebuild')
    expect(w.get('[data-test=rebuilt]').text()).toContain('123,456')
    // Not confirmed: nothing asked.
    confirm.mockRejectedValue('cancel')
    const before = asked.length
    await w.get('[data-test=rebuild-reports]').trigger('click')
    await flushPromises()
    expect(asked.length).toBe(before)
    confirm.mockRestore()
    w.unmount()
  })
})
