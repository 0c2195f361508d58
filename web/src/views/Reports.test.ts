import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { i18n, setLocale } from '../i18n'
import { presetRange, todayIn } from '../reports'
import { useSession } from '../stores/session'
import Reports from './Reports.vue'

const settings = { service_level_formula: 'answered_in_t_over_all', service_level_s: 20, short_abandon_s: 5, exclude_short_abandons: true, count_flow_outs: false, repeat_days: 7 }
const def = (key: string, unit: string, zh: string, en: string) => ({ key, unit, name_zh: zh, name_en: en, formula_zh: `${zh}的口径`, formula_en: `How ${en} is counted` })
const glossary = {
  metrics: [
    def('offered', 'count', '进线量', 'Offered'), def('answered', 'count', '接通量', 'Answered'), def('abandoned', 'count', '放弃量', 'Abandoned'),
    def('short_abandoned', 'count', '短时放弃', 'Short abandons'), def('answer_rate', 'ratio', '接通率', 'Answer rate'),
    def('service_level', 'ratio', '服务水平', 'Service level'), def('asa', 'seconds', '平均应答速度', 'ASA'), def('aht', 'seconds', '平均处理时长', 'AHT'),
    def('avg_talk', 'seconds', '平均通话时长', 'Average talk'), def('transferred_out', 'count', '转接量', 'Transfers'),
    def('fcr', 'ratio', '首次解决率', 'FCR'), def('satisfaction', 'ratio', '满意率', 'Satisfaction'),
    def('ivr_ended', 'count', 'IVR 内结束', 'Ended in the IVR'), def('ivr_visits', 'count', '节点访问', 'IVR node visits'),
    def('ivr_passed', 'count', '离开 IVR', 'Went on from the IVR'),
  ],
  settings,
  thresholds_s: [5, 10, 15, 20],
}

/** Every metric's value now and in the period before, by key. */
const now: Record<string, Record<string, number | null>> = {
  '': { offered: 100, answered: 85, abandoned: 15, short_abandoned: 3, answer_rate: 0.85, service_level: 0.8534, asa: 65, aht: 200, avg_talk: 150, transferred_out: 4, fcr: 0.9, satisfaction: null },
  repair: { offered: 60, answered: 50, abandoned: 10, short_abandoned: 2, answer_rate: 50 / 60, service_level: 0.8, asa: 70, aht: 210, avg_talk: 160, transferred_out: 3, fcr: 0.9, satisfaction: null },
  billing: { offered: 40, answered: 35, abandoned: 5, short_abandoned: 1, answer_rate: 35 / 40, service_level: 0.9, asa: 50, aht: 180, avg_talk: 140, transferred_out: 1, fcr: 0.9, satisfaction: 1 },
}
const before: Record<string, Record<string, number | null>> = {
  '': { ...now[''], abandoned: 10, service_level: 0.8, asa: 80 },
  repair: { ...now.repair, offered: 50 },
  billing: { ...now.billing, offered: 50 },
}

/** The tenant's time zone the stub answers with. */
let zone = Intl.DateTimeFormat().resolvedOptions().timeZone

/** The IVR's nodes and steps over the whole range (main → menu → info, and back to main). */
const ivr: Record<string, Record<string, Record<string, number>>> = {
  ivr_node: { main: { ivr_visits: 100, ivr_ended: 5, ivr_passed: 0 }, menu: { ivr_visits: 120, ivr_ended: 30, ivr_passed: 60 }, info: { ivr_visits: 30, ivr_ended: 24, ivr_passed: 6 } },
  ivr_edge: { 'main>menu': { ivr_visits: 95 }, 'menu>info': { ivr_visits: 30 }, 'menu>main': { ivr_visits: 20 } },
}

function answer(path: string) {
  if (path === '/api/reports/glossary') return glossary
  const q = new URL(path, 'http://x').searchParams
  const metrics = q.get('metrics')!.split(',')
  const dim = q.get('dim')!
  if (dim in ivr) {
    const totals = Object.entries(ivr[dim]).map(([key, v]) => ({ period_ms: 0, key, values: metrics.map((m) => v[m] ?? null) }))
    return {
      zone, from_ms: 0, to_ms: 1, previous_from_ms: 0, previous_to_ms: 0, by: 'total', dim, metrics, rows: totals, totals, previous: [],
      labels: dim === 'ivr_node' ? { menu: '主菜单' } : {}, settings,
    }
  }
  const keys = q.get('keys')?.split(',') ?? (dim === 'all' ? [''] : ['repair', 'billing'])
  const line = (src: typeof now, key: string, period_ms: number) => ({ period_ms, key, values: metrics.map((m) => src[key][m] ?? null) })
  return {
    zone, from_ms: Date.UTC(2026, 10, 30, 16), to_ms: Date.UTC(2026, 11, 2, 16), previous_from_ms: Date.UTC(2026, 10, 28, 16), previous_to_ms: Date.UTC(2026, 10, 30, 16),
    by: q.get('by'), dim, metrics,
    rows: keys.flatMap((k) => [line(now, k, Date.UTC(2026, 11, 1, 12)), line(now, k, Date.UTC(2026, 11, 2, 12))]),
    totals: keys.map((k) => line(now, k, 0)), previous: keys.map((k) => line(before, k, 0)),
    labels: { repair: '报修', billing: '水费' }, settings,
  }
}

describe('the reports page (报表)', () => {
  let paths: string[]
  let posted: unknown[]
  beforeEach(() => {
    localStorage.clear()
    paths = []
    posted = []
    vi.stubGlobal('fetch', vi.fn(async (path: string, init?: RequestInit) => {
      paths.push(path)
      if (path === '/api/reports/saved' && init?.method === 'POST') {
        const body = JSON.parse(String(init.body))
        posted.push(body)
        return Response.json({ id: 5, owner_id: 1, created_ms: 0, updated_ms: 0, next_run_ms: null, ...body }, { status: 201 })
      }
      return new Response(JSON.stringify(answer(path)), { status: 200 })
    }))
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.useRealTimers()
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone
    setLocale('zh-CN')
  })

  const mountIt = (permissions = ['view_reports']) => {
    setActivePinia(createPinia())
    useSession().info = { expires_at_ms: 0, permissions, user: { id: 1, role: 'supervisor' } } as never
    return mount(Reports, { global: { plugins: [i18n], stubs: { Chart: true, RouterLink: RouterLinkStub } }, attachTo: document.body })
  }

  it('asks for this month, the default metrics and the chart\'s, and shows the center\'s totals against the period before', async () => {
    const w = mountIt()
    await flushPromises()
    const [from, to] = presetRange('thisMonth', todayIn())
    expect(paths).toEqual([
      '/api/reports/glossary',
      `/api/reports?from=${from}&to=${to}&by=day&dim=all&metrics=${['offered', 'answered', 'abandoned', 'short_abandoned', 'answer_rate', 'service_level', 'asa', 'aht', 'avg_talk', 'transferred_out', 'fcr', 'satisfaction'].join('%2C')}`,
    ])
    expect(paths.some((p) => p.startsWith('/api/settings'))).toBe(false)
    expect(w.get('[data-test=kpi-value-service_level]').text()).toBe('85.3%')
    expect(w.get('[data-test=kpi-value-asa]').text()).toBe('1:05')
    expect(w.get('[data-test=kpi-value-satisfaction]').text()).toBe('—')
    // More abandons is worse, a higher service level and a shorter wait better.
    expect(w.get('[data-test=kpi-change-abandoned]').text()).toBe('▲ 50.0%')
    expect(w.get('[data-test=kpi-change-abandoned]').classes()).toContain('tone-worse')
    expect(w.get('[data-test=kpi-change-service_level]').text()).toBe('▲ 5.3 个百分点')
    expect(w.get('[data-test=kpi-change-service_level]').classes()).toContain('tone-better')
    expect(w.get('[data-test=kpi-change-asa]').classes()).toContain('tone-better')
    const head = w.findAll('[data-test=report-rows] .el-table__header th').map((th) => th.text())
    expect(head.slice(0, 3)).toEqual(['时段', '进线量', '接通量'])
    const first = w.findAll('[data-test=report-rows] .el-table__body tr')[0].findAll('td').map((d) => d.text())
    expect(first.slice(0, 2)).toEqual(['2026-12-01', '100'])
    expect(first[first.length - 1]).toBe('—')
    w.unmount()
  })

  it('sums up by queue with the period before, and drills into a queue clicked', async () => {
    const w = mountIt()
    await flushPromises()
    ;(w.vm as unknown as { dim: string }).dim = 'queue'
    await flushPromises()
    expect(paths[paths.length - 1]).toContain('dim=queue')
    expect(w.find('[data-test=report-kpis]').exists()).toBe(false)
    const rows = w.findAll('[data-test=report-totals] .el-table__body tr').map((r) => r.findAll('td').map((d) => d.text()))
    expect(rows.map((r) => [r[0], r[1], r[r.length - 2], r[r.length - 1]])).toEqual([
      ['报修', '60', '50', '▲ 20.0%'],
      ['水费', '40', '50', '▼ 20.0%'],
    ])
    await w.get('[data-test=report-drill-repair]').trigger('click')
    await flushPromises()
    expect(paths[paths.length - 1]).toContain('keys=repair')
    expect(w.get('[data-test=report-drill]').text()).toContain('报修')
    expect(w.get('[data-test=kpi-value-offered]').text()).toBe('60')
    await w.get('[data-test=report-drill-clear]').trigger('click')
    await flushPromises()
    expect(paths[paths.length - 1]).not.toContain('keys=')
    expect(w.find('[data-test=report-drill]').exists()).toBe(false)
    w.unmount()
  })

  it('saves the toolbar as a saved report: its dimension, periods, metrics and the key drilled into, this month relative to each run', async () => {
    const w = mountIt()
    await flushPromises()
    ;(w.vm as unknown as { dim: string }).dim = 'queue'
    await flushPromises()
    await w.get('[data-test=report-drill-repair]').trigger('click')
    await flushPromises()
    await w.get('[data-test=report-save]').trigger('click')
    await flushPromises()
    const name = document.querySelector<HTMLInputElement>('input[data-test=saved-name]')!
    expect(name.value).toBe('报修 · 日')
    expect(document.querySelector('[data-test=saved-what]')!.textContent).toBe('队列 × 日 · 12 项指标 · 仅 1 个队列')
    const [from, to] = presetRange('thisMonth', todayIn())
    expect(document.querySelector('[data-test=saved-range-days]')!.textContent).toBe(`按今天算是 ${from} 至 ${to}，每次生成时按当天重新计算`)
    expect(document.querySelector('[data-test=saved-at]')).toBeNull()
    name.value = '报修月报'
    name.dispatchEvent(new Event('input'))
    document.querySelector<HTMLButtonElement>('[data-test=saved-submit]')!.click()
    await flushPromises()
    expect(posted).toEqual([{
      name: '报修月报',
      spec: {
        dim: 'queue', by: 'day', keys: ['repair'], range: 'this_month', format: 'xlsx', schedule: null,
        metrics: ['offered', 'answered', 'abandoned', 'short_abandoned', 'answer_rate', 'service_level', 'asa', 'aht', 'avg_talk', 'transferred_out', 'fcr', 'satisfaction'],
      },
    }])
    expect(w.get('[data-test=report-saved]').text()).toContain('已保存为订阅「报修月报」')
    const link = w.findAllComponents(RouterLinkStub).find((l) => l.attributes('data-test') === 'report-saved-link')!
    expect((link.props() as { to: unknown }).to).toBe('/reports/saved')
    w.unmount()
  })

  it('names the metrics in English and refuses half hours over too long a period without asking', async () => {
    setLocale('en')
    const w = mountIt()
    await flushPromises()
    expect(w.get('[data-test=kpi-service_level] .kpi-name').text()).toBe('Service level')
    const n = paths.length
    const vm = w.vm as unknown as { range: [string, string]; by: string }
    vm.range = ['2026-01-01', '2026-06-30']
    vm.by = 'half_hour'
    await flushPromises()
    expect(paths.length).toBe(n)
    expect(w.get('[data-test=report-problem]').text()).toContain('62')
    w.unmount()
  })

  it('asks again for the center\'s month when its day is not the browser\'s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date(Date.UTC(2026, 10, 30, 10, 30))) // 11-30 anywhere up to UTC+13, 12-01 at UTC+14
    zone = 'Pacific/Kiritimati'
    const w = mountIt()
    await flushPromises()
    const asked = paths.filter((p) => p.startsWith('/api/reports?')).map((p) => new URL(p, 'http://x').searchParams)
    expect(asked.map((q) => [q.get('from'), q.get('to')])).toEqual([['2026-11-01', '2026-11-30'], ['2026-12-01', '2026-12-01']])
    w.unmount()
  })

  it('opens the calls behind a count for those who may see calls', async () => {
    const w = mountIt(['view_reports', 'view_calls'])
    await flushPromises()
    // By day: the first day's answered calls, from its start to the next day's.
    const links: VueWrapper[] = w.findAll('[data-test=report-rows] .el-table__body tr')[0].findAllComponents(RouterLinkStub)
    const answered = links.find((l) => l.attributes('data-test') === 'calls-link-answered')!
    expect(answered.text()).toBe('85')
    expect((answered.props() as { to: unknown }).to).toEqual({
      path: '/calls', query: { arrived_from_ms: String(Date.UTC(2026, 11, 1, 12)), arrived_to_ms: String(Date.UTC(2026, 11, 2, 12)), outcome: 'answered', first_parts: 'true' },
    })
    // Rates are not counts of calls.
    expect(links.some((l) => l.attributes('data-test') === 'calls-link-service_level')).toBe(false)
    ;(w.vm as unknown as { dim: string }).dim = 'queue'
    await flushPromises()
    const totals: VueWrapper[] = w.get('[data-test=report-totals]').findAllComponents(RouterLinkStub)
    const total = totals.find((l) => l.attributes('data-test') === 'calls-link-abandoned')!
    expect((total.props() as { to: unknown }).to).toEqual({
      path: '/calls', query: { arrived_from_ms: String(Date.UTC(2026, 10, 30, 16)), arrived_to_ms: String(Date.UTC(2026, 11, 2, 16)), queue: 'repair', outcome: 'abandoned' },
    })
    w.unmount()
  })

  it('links no count for those who may not see calls', async () => {
    const w = mountIt()
    await flushPromises()
    expect(w.findAll('[data-test^=calls-link-]').length).toBe(0)
    w.unmount()
  })

  it('shows the IVR funnel of the range, the nodes with most hang-ups first', async () => {
    const w = mountIt()
    await flushPromises()
    expect(paths.some((p) => p.includes('dim=ivr_'))).toBe(false)
    ;(w.vm as unknown as { tab: string }).tab = 'funnel'
    await flushPromises()
    const asked = paths.filter((p) => p.includes('dim=ivr_')).map((p) => new URL(p, 'http://x').searchParams)
    expect(asked.map((q) => [q.get('dim'), q.get('by'), q.get('metrics')])).toEqual([
      ['ivr_node', 'total', 'ivr_visits,ivr_ended,ivr_passed'],
      ['ivr_edge', 'total', 'ivr_visits'],
    ])
    const rows = w.findAll('[data-test=funnel-table] .el-table__body tr').map((r) => r.findAll('td').map((d) => d.text()))
    expect(rows.map((r) => [r[0], r[1], r[2], r[3], r[4]])).toEqual([
      ['主菜单', '120', '30', '25.0%', '60'],
      ['info', '30', '24', '80.0%', '6'],
      ['main', '100', '5', '5.0%', '0'],
    ])
    expect(w.get('[data-test=funnel-loops]').text()).toContain('主菜单 → main (20)')
    w.unmount()
  })
})
