import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { i18n, setLocale } from '../i18n'
import { monthOf, presetRange, todayIn } from '../reports'
import { useSession } from '../stores/session'
import Ranking from './Ranking.vue'
import MonthlyReport from './MonthlyReport.vue'

const def = (key: string, unit: string, zh: string, en: string) => ({ key, unit, name_zh: zh, name_en: en, formula_zh: `${zh}的口径`, formula_en: `How ${en} is counted` })
const glossary = {
  metrics: [
    def('offered', 'count', '进线量', 'Offered'), def('answered', 'count', '接通量', 'Answered'), def('answer_rate', 'ratio', '接通率', 'Answer rate'),
    def('abandon_rate', 'ratio', '放弃率', 'Abandon rate'), def('service_level', 'ratio', '服务水平', 'Service level'), def('asa', 'seconds', '平均应答速度', 'ASA'),
    def('aht', 'seconds', '平均处理时长', 'AHT'), def('talk_time', 'seconds', '通话总时长', 'Talk time'), def('fcr', 'ratio', '首次解决率', 'FCR'),
    def('satisfaction', 'ratio', '满意率', 'Satisfaction'), def('repeat_rate', 'ratio', '重复来电率', 'Repeat rate'), def('not_ready_time', 'seconds', '示忙时长', 'Not-ready time'),
  ],
  settings: { service_level_formula: 'answered_in_t_over_all', service_level_s: 20, short_abandon_s: 5, exclude_short_abandons: true, count_flow_outs: false, repeat_days: 7 },
  thresholds_s: [],
}
const ranking = {
  from_ms: 0, to_ms: 1, by: 'agent',
  weights: [{ metric: 'answered', weight: 40 }, { metric: 'talk_time', weight: 20 }, { metric: 'satisfaction', weight: 20 }, { metric: 'fcr', weight: 20 }],
  metrics: ['answered', 'talk_time', 'satisfaction', 'fcr', 'aht'],
  rows: Array.from({ length: 12 }, (_, i) => ({
    key: String(7 + i), label: `座席${i + 1}`, rank: i + 1, score: 95 - i * 7, stars: Math.max(1, 5 - Math.floor(i / 2)), values: [120 - i, 3600 * 5, 0.9, 0.8, 200],
  })),
}
const zone = 'Asia/Shanghai'
const settings = glossary.settings

/** A report: every metric asked worth 10 times its position, by day (two days), a key per dimension. */
function report(path: string) {
  const q = new URL(path, 'http://x').searchParams
  const metrics = q.get('metrics')!.split(',')
  const dim = q.get('dim')!
  const keys = q.get('keys')?.split(',') ?? ({ all: [''], queue: ['repair', 'billing'], reason: ['break', 'meal'] } as Record<string, string[]>)[dim] ?? ['x']
  const value = (m: string, k: number, prev = false) => {
    const d = glossary.metrics.find((x) => x.key === m)!
    const base = d.unit === 'ratio' ? 0.8 - k * 0.1 : d.unit === 'seconds' ? 60 * (k + 1) : 100 - k * 10
    return prev ? (d.unit === 'ratio' ? base - 0.05 : base * 0.9) : base
  }
  const day = Date.UTC(2026, 10, 1, -8)
  const periods = q.get('by') === 'half_hour' ? [day + 19 * 1_800_000, day + 48 * 1_800_000 + 19 * 1_800_000] : [day, day + 86_400_000]
  const line = (k: string, i: number, period_ms: number, prev = false) => ({ key: k, period_ms, values: metrics.map((m) => value(m, i, prev)) })
  return {
    zone, from_ms: day, to_ms: day + 30 * 86_400_000, previous_from_ms: 0, previous_to_ms: day, by: q.get('by'), dim, metrics,
    rows: keys.flatMap((k, i) => periods.map((p) => line(k, i, p))), totals: keys.map((k, i) => line(k, i, day)), previous: keys.map((k, i) => line(k, i, 0, true)),
    labels: { repair: '报修', billing: '水费', 7: '座席1' }, settings,
  }
}

describe('the star ranking and the monthly report', () => {
  let paths: string[]
  beforeEach(() => {
    paths = []
    vi.stubGlobal('fetch', vi.fn(async (path: string) => {
      paths.push(path)
      if (path === '/api/reports/glossary') return Response.json(glossary)
      if (path.startsWith('/api/reports/ranking?')) return Response.json(ranking)
      if (path.startsWith('/api/reports?')) return Response.json(report(path))
      return Response.json({ code: 'not_found', message: 'not found' }, { status: 404 })
    }))
    setActivePinia(createPinia())
    useSession().info = {
      expires_at_ms: 0, permissions: ['view_reports'], user: { id: 1, role: 'supervisor' },
      tenant: { id: 1, name: '自来水热线', time_zone: zone, slug: 'demo', locale: 'zh-CN', seat_quota: 10, sip_domain: 'x', suspended: false, created_at_ms: 0 },
    } as never
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    setLocale('zh-CN')
    document.body.innerHTML = ''
  })

  const lastMonth = () => presetRange('lastMonth', todayIn(zone))
  async function mountIt(c: typeof Ranking, url = '/') {
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: { template: '<div />' } }] })
    await router.push(url)
    await router.isReady()
    return mount(c, { global: { plugins: [i18n, router], stubs: { Chart: true, RouterLink: RouterLinkStub, transition: false } }, attachTo: document.body })
  }

  it('ranks last month\'s agents by the weights in force, and opens an agent\'s month by day', async () => {
    const w = await mountIt(Ranking)
    await flushPromises()
    const [from, to] = lastMonth()
    expect(paths).toContain(`/api/reports/ranking?from=${from}&to=${to}&by=agent`)
    expect(w.get('[data-test=ranking-weights]').text()).toContain('接通量 40% · 通话总时长 20% · 满意率 20% · 首次解决率 20%')
    const first = w.findAll('[data-test=ranking-table] .el-table__body tr')[0].findAll('td').map((d) => d.text())
    expect(first.slice(0, 5)).toEqual(['1', '座席1', '★★★★★', '95.0', '120'])
    expect(first[5]).toBe('5:00:00')
    await w.get('[data-test=ranking-open-7]').trigger('click')
    await flushPromises()
    const asked = new URL(paths[paths.length - 1], 'http://x').searchParams
    expect(Object.fromEntries(asked)).toEqual({ from, to, by: 'day', dim: 'agent', keys: '7', metrics: 'answered,talk_time,satisfaction,fcr,aht' })
    expect(document.querySelectorAll('[data-test=sheet-table] .el-table__body tr').length).toBe(2)
    expect(document.querySelector('[data-test=sheet-chart]')).not.toBeNull()
    w.unmount()
  })

  it('asks for teams when told', async () => {
    const w = await mountIt(Ranking)
    await flushPromises()
    ;(w.vm as unknown as { by: string }).by = 'team'
    await flushPromises()
    expect(paths[paths.length - 1]).toContain('by=team')
    w.unmount()
  })

  it('lays out last month for print: the figures against the month before, the queues, the top ten, the reasons, the definitions', async () => {
    const print = vi.fn()
    vi.stubGlobal('print', print)
    const w = await mountIt(MonthlyReport)
    await flushPromises()
    const [from, to] = lastMonth()
    const asked = paths.filter((p) => p.startsWith('/api/reports?')).map((p) => new URL(p, 'http://x').searchParams).map((q) => `${q.get('by')}/${q.get('dim')}`)
    expect(asked.sort()).toEqual(['day/all', 'half_hour/all', 'total/queue', 'total/reason'])
    expect(paths).toContain(`/api/reports/ranking?from=${from}&to=${to}&by=agent`)
    expect(paths.every((p) => !p.startsWith('/api/reports?') || p.includes(`from=${from}&to=${to}`))).toBe(true)
    expect(w.get('[data-test=monthly-title]').text()).toBe('自来水热线运营月报')
    expect(w.get('[data-test=monthly-kpi-value-offered]').text()).toBe('100')
    expect(w.get('[data-test=monthly-kpi-service_level]').text()).toContain('80.0%')
    expect(w.get('[data-test=monthly-kpi-service_level]').text()).toContain('75.0%')
    expect(w.get('[data-test=monthly-kpi-service_level]').text()).toContain('▲ 5.0 个百分点')
    expect(w.find('[data-test=monthly-trend]').exists()).toBe(true)
    expect(w.find('[data-test=monthly-heatmap]').exists()).toBe(true)
    expect(w.findAll('[data-test=monthly-queues] tbody tr').map((r) => r.find('td').text())).toEqual(['报修', '水费'])
    expect(w.findAll('[data-test=monthly-ranking] tbody tr').length).toBe(10)
    expect(w.findAll('[data-test=monthly-reasons] tbody tr').map((r) => r.findAll('td').map((d) => d.text()))).toEqual([
      ['用餐', '2:00', '66.7%'], ['小休', '1:00', '33.3%'],
    ])
    expect(w.get('[data-test=monthly-definitions]').text()).toContain('T 内接通 ÷（接通 + 放弃）')
    expect(document.body.classList.contains('print-sheet')).toBe(true)
    await w.get('[data-test=monthly-print]').trigger('click')
    expect(print).toHaveBeenCalled()
    w.unmount()
    expect(document.body.classList.contains('print-sheet')).toBe(false)
  })

  it('writes the month in English', async () => {
    setLocale('en')
    const w = await mountIt(MonthlyReport)
    await flushPromises()
    const [y, m] = monthOf(lastMonth()[0]).split('-').map(Number)
    expect(w.get('[data-test=monthly-sheet] .subtitle').text()).toBe(new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }))
    expect(w.get('[data-test=monthly-title]').text()).toBe('自来水热线 monthly operations report')
    w.unmount()
  })

  it('show the month a link names', async () => {
    const w = await mountIt(Ranking, '/?month=2026-02')
    await flushPromises()
    expect(paths).toContain('/api/reports/ranking?from=2026-02-01&to=2026-02-28&by=agent')
    w.unmount()
    const m = await mountIt(MonthlyReport, '/?month=2026-02')
    await flushPromises()
    expect(paths.filter((p) => p.startsWith('/api/reports?')).every((p) => p.includes('from=2026-02-01&to=2026-02-28'))).toBe(true)
    m.unmount()
  })
})
