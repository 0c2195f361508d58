import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { ElMessageBox } from 'element-plus'
import { i18n, setLocale } from '../i18n'
import { localTime, type ReportFile, type SavedReport } from '../savedReports'
import { useSession } from '../stores/session'
import SavedReports from './SavedReports.vue'

const zone = 'Asia/Shanghai'
const NEXT = Date.UTC(2026, 11, 2, 23) // 12-03 07:00 in Shanghai

function reports(): SavedReport[] {
  return [
    {
      id: 3, name: '队列日报', owner_id: 1, created_ms: 0, updated_ms: 0, next_run_ms: NEXT,
      spec: { dim: 'queue', by: 'day', metrics: ['offered', 'answered'], keys: [], range: 'yesterday', format: 'xlsx', schedule: { every: 'day', at: '07:00' } },
    },
    {
      id: 4, name: '上月全中心', owner_id: 2, created_ms: 0, updated_ms: 0, next_run_ms: null,
      spec: { dim: 'all', by: 'total', metrics: [], keys: [], range: 'last_month', format: 'csv', schedule: null },
    },
  ]
}

const file = (id: number, by: number | null): ReportFile => ({
  id, saved_id: 3, name: `队列日报 2026-12-01.xlsx`, from_ms: Date.UTC(2026, 10, 30, 16), to_ms: Date.UTC(2026, 11, 1, 16),
  produced_ms: Date.UTC(2026, 11, 1, 23), bytes: 12_800, rows: 1234, by_user_id: by,
})

/** Element Plus shows a form item's error 100 ms after it is set (waited for longer where the machine is busy). */
const shown = async () => {
  await new Promise((r) => setTimeout(r, 150))
  await flushPromises()
}

const formText = () => document.querySelector('[data-test=saved-form]')!.textContent!

/** A cell's text, its lines apart. */
const text = (td: Element) => (td.children.length ? [...td.children].map((c) => c.textContent!.trim()).join(' ') : td.textContent!.trim())

interface Asked { method: string; path: string; body?: unknown; credentials?: string }

describe('the saved reports page (报表订阅)', () => {
  let asked: Asked[]
  let list: SavedReport[]
  let files: ReportFile[]

  beforeEach(() => {
    asked = []
    list = reports()
    files = [file(10, null)]
    vi.stubGlobal('fetch', vi.fn(async (path: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET'
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
      asked.push({ method, path, body, credentials: init?.credentials })
      if (method === 'GET' && path === '/api/reports/saved') return Response.json(list)
      if (method === 'GET' && path === '/api/directory') return Response.json({ queues: [], people: [{ user_id: 2, display_name: '李主管' }] })
      if (method === 'GET' && path === '/api/reports/saved/3/files') return Response.json(files)
      if (method === 'POST' && path === '/api/reports/saved/3/run') {
        const made = { ...file(11, 1), produced_ms: Date.UTC(2026, 11, 2, 2) }
        files = [made, ...files]
        return Response.json(made, { status: 201 })
      }
      if (method === 'GET' && path === '/api/reports/files/11') {
        return new Response(new Uint8Array([80, 75]), { status: 200, headers: { 'content-disposition': `attachment; filename="____ 2026-12-01.xlsx"; filename*=UTF-8''${encodeURIComponent('队列日报 2026-12-01.xlsx')}` } })
      }
      if (method === 'PUT' && path === '/api/reports/saved/3') {
        const b = body as { name: string; spec: SavedReport['spec'] }
        if (b.name === '重名') return Response.json({ code: 'invalid_input', message: 'bad', details: { field: 'name', reason: 'at most 60 characters' } }, { status: 400 })
        list = list.map((s) => (s.id === 3 ? { ...s, name: b.name, spec: b.spec } : s))
        return Response.json(list[0])
      }
      if (method === 'DELETE' && path === '/api/reports/saved/4') {
        list = list.filter((s) => s.id !== 4)
        return new Response(null, { status: 204 })
      }
      return Response.json({ code: 'not_found', message: 'not found' }, { status: 404 })
    }))
    URL.createObjectURL = vi.fn(() => 'blob:file-11')
    URL.revokeObjectURL = vi.fn()
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
    setLocale('zh-CN')
    document.body.innerHTML = ''
  })

  async function mountIt(permissions = ['view_reports', 'view_directory']) {
    setActivePinia(createPinia())
    useSession().info = {
      expires_at_ms: 0, permissions, user: { id: 1, role: 'supervisor', display_name: '张班长' },
      tenant: { id: 1, name: '自来水热线', time_zone: zone, slug: 'demo', locale: 'zh-CN', seat_quota: 10, sip_domain: 'x', suspended: false, created_at_ms: 0 },
    } as never
    const w = mount(SavedReports, { global: { plugins: [i18n], stubs: { RouterLink: RouterLinkStub, transition: false } }, attachTo: document.body })
    await flushPromises()
    return w
  }

  const cells = (w: Awaited<ReturnType<typeof mountIt>>, id: number) => w.get(`[data-test=saved-row-${id}]`).findAll('td').map((d) => d.text())

  it('lists each saved report: what it is, its schedule and next run in words', async () => {
    const w = await mountIt()
    expect(asked.map((a) => `${a.method} ${a.path}`)).toEqual(['GET /api/reports/saved'])
    expect(cells(w, 3).slice(0, 4)).toEqual(['队列日报', '队列 × 日 · 2 项指标 · 昨天 · Excel', '每天 07:00', localTime(NEXT, 'zh-CN')])
    expect(cells(w, 4).slice(0, 4)).toEqual(['上月全中心', '全中心 × 合计 · 全部指标 · 上月 · CSV', '不定时', '—'])
    expect(w.text()).toContain('Asia/Shanghai')
    setLocale('en')
    await flushPromises()
    expect(cells(w, 3).slice(1, 3)).toEqual(['Queue × Day · 2 metrics · Yesterday · Excel', 'Daily at 07:00'])
    w.unmount()
  })

  it('says how to save one when there is none', async () => {
    list = []
    const w = await mountIt()
    expect(w.find('[data-test=saved-table]').exists()).toBe(false)
    expect(w.get('[data-test=saved-empty]').text()).toContain('保存为订阅')
    w.unmount()
  })

  it('produces a report now, then lists its files, the new one first, and downloads one with the session', async () => {
    const w = await mountIt()
    await w.get('[data-test=saved-run-3]').trigger('click')
    await flushPromises()
    expect(asked.filter((a) => a.method !== 'GET').map((a) => `${a.method} ${a.path}`)).toEqual(['POST /api/reports/saved/3/run'])
    expect(asked.map((a) => a.path)).toContain('/api/reports/saved/3/files')
    const rows = [...document.querySelectorAll('[data-test=saved-file-table] tbody tr')].map((r) => [...r.querySelectorAll('td')].map(text))
    expect(rows.length).toBe(2)
    expect(rows[0].slice(1, 6)).toEqual(['2026-12-01 1 天', localTime(Date.UTC(2026, 11, 2, 2), 'zh-CN'), '1,234', '13 KB', '我'])
    expect(rows[1][5]).toBe('定时生成')
    const clicked: string[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) { clicked.push(this.download) })
    document.querySelector<HTMLButtonElement>('[data-test=saved-file-11]')!.click()
    await flushPromises()
    const got = asked.find((a) => a.path === '/api/reports/files/11')!
    expect(got.credentials).toBe('same-origin')
    expect(clicked).toEqual(['队列日报 2026-12-01.xlsx'])
    w.unmount()
  })

  it('names who produced a file from the directory', async () => {
    files = [file(12, 2), file(13, 9)]
    const w = await mountIt()
    await w.get('[data-test=saved-files-3]').trigger('click')
    await flushPromises()
    expect(asked.map((a) => a.path)).toContain('/api/directory')
    const by = [...document.querySelectorAll('[data-test=saved-file-table] tbody tr')].map((r) => r.querySelectorAll('td')[5].textContent!.trim())
    expect(by).toEqual(['李主管', '用户 9'])
    w.unmount()
  })

  it('asks nobody\'s name of those who may not read the directory, and says when there is no file', async () => {
    files = []
    const w = await mountIt(['view_reports'])
    await w.get('[data-test=saved-files-3]').trigger('click')
    await flushPromises()
    expect(asked.map((a) => a.path)).not.toContain('/api/directory')
    expect(document.querySelector('[data-test=saved-no-files]')?.textContent).toContain('立即生成')
    w.unmount()
  })

  it('changes a saved report in the dialog, the server\'s refusal next to its field', async () => {
    const w = await mountIt()
    await w.get('[data-test=saved-edit-3]').trigger('click')
    await flushPromises()
    const name = document.querySelector<HTMLInputElement>('input[data-test=saved-name]')!
    expect(name.value).toBe('队列日报')
    const at = document.querySelector<HTMLInputElement>('input[data-test=saved-at]')!
    expect(at.value).toBe('07:00')
    // A time that is none is said before sending.
    at.value = '25:00'
    at.dispatchEvent(new Event('input'))
    document.querySelector<HTMLButtonElement>('[data-test=saved-submit]')!.click()
    await shown()
    expect(asked.some((a) => a.method === 'PUT')).toBe(false)
    await vi.waitFor(() => expect(formText()).toContain('应为 24 小时制时间，如 07:30'))
    // What the server refuses is said next to the field it names.
    at.value = '6:30'
    at.dispatchEvent(new Event('input'))
    name.value = '重名'
    name.dispatchEvent(new Event('input'))
    document.querySelector<HTMLButtonElement>('[data-test=saved-submit]')!.click()
    await shown()
    expect(asked.filter((a) => a.method === 'PUT').length).toBe(1)
    await vi.waitFor(() => expect(formText()).toContain('名称：最多 60 个字符'))
    expect(formText()).not.toContain('应为 24 小时制时间')
    name.value = '队列日报（早）'
    name.dispatchEvent(new Event('input'))
    document.querySelector<HTMLButtonElement>('[data-test=saved-submit]')!.click()
    await flushPromises()
    const puts = asked.filter((a) => a.method === 'PUT')
    expect(puts.length).toBe(2)
    expect(puts[1].body).toEqual({
      name: '队列日报（早）',
      spec: { dim: 'queue', by: 'day', metrics: ['offered', 'answered'], keys: [], range: 'yesterday', format: 'xlsx', schedule: { every: 'day', at: '06:30' } },
    })
    expect(cells(w, 3).slice(0, 3)).toEqual(['队列日报（早）', '队列 × 日 · 2 项指标 · 昨天 · Excel', '每天 06:30'])
    w.unmount()
  })

  it('deletes a saved report once asked to confirm', async () => {
    const confirm = vi.spyOn(ElMessageBox, 'confirm').mockResolvedValue('confirm' as never)
    const w = await mountIt()
    await w.get('[data-test=saved-delete-4]').trigger('click')
    await flushPromises()
    expect(confirm).toHaveBeenCalled()
    expect(String(confirm.mock.calls[0][0])).toContain('上月全中心')
    expect(asked.filter((a) => a.method === 'DELETE').map((a) => a.path)).toEqual(['/api/reports/saved/4'])
    expect(w.find('[data-test=saved-row-4]').exists()).toBe(false)
    w.unmount()
  })
})
