// Each configuration kind as its form edits it — in the units people use (80 %, seconds),
// references by key — and back to the API's body. What a form does not show (a queue's
// skill relaxation, its priority acceleration) is carried through untouched, so saving a
// document unchanged sends back what was loaded.

type Data = Record<string, any>

export interface SkillModel { name: string }

export const skills = {
  blank: (): SkillModel => ({ name: '' }),
  fromDoc: (d: Data): SkillModel => ({ name: d.name ?? '' }),
  toBody: (m: SkillModel) => ({ name: m.name.trim() }),
}

export interface QueueModel {
  name: string
  channel: string
  skills: { skill: string; min: number }[]
  strategy: string
  priority: number
  /** Percent: 80 for 80 %. */
  slPercent: number
  serviceTime: number
  wrapUp: number
  ringTimeout: number
  /** Seconds; none for no limit. */
  maxWait: number | null
  /** None for no limit. */
  maxSize: number | null
  overflowTo: string
  overflowQueue: string
  nobodyLoggedIn: string
  /** Seconds; none for not held. */
  sticky: number | null
  open: boolean
  calendar: string
  announce: boolean
  announceEvery: number
  announcePosition: boolean
  announceWait: boolean
  /** Kept as loaded. */
  keep: { relax: unknown[]; acceleration: unknown }
}

export const STRATEGIES = ['longest_idle', 'fewest_calls', 'least_talk_time', 'best_proficiency', 'round_robin', 'ring_all']
export const OVERFLOWS = ['queue', 'voicemail', 'callback', 'disconnect']

export const queues = {
  blank: (): QueueModel => ({
    name: '', channel: 'voice', skills: [], strategy: 'longest_idle', priority: 0, slPercent: 80, serviceTime: 20,
    wrapUp: 30, ringTimeout: 20, maxWait: null, maxSize: null, overflowTo: '', overflowQueue: '', nobodyLoggedIn: 'wait',
    sticky: null, open: true, calendar: '', announce: false, announceEvery: 30, announcePosition: true, announceWait: true,
    keep: { relax: [], acceleration: null },
  }),
  fromDoc: (d: Data): QueueModel => ({
    name: d.name ?? '',
    channel: d.channel ?? 'voice',
    skills: (d.skills ?? []).map((s: Data) => ({ skill: s.skill, min: s.min })),
    strategy: d.strategy ?? 'longest_idle',
    priority: d.priority ?? 0,
    slPercent: Math.round((d.service_level ?? 0.8) * 1000) / 10,
    serviceTime: d.service_time ?? 20,
    // The engine's defaults for what the document leaves out.
    wrapUp: d.wrap_up ?? 0,
    ringTimeout: d.ring_timeout ?? 20,
    maxWait: d.max_wait ?? null,
    maxSize: d.max_size ?? null,
    overflowTo: d.overflow?.to ?? '',
    overflowQueue: d.overflow?.queue ?? '',
    nobodyLoggedIn: d.nobody_logged_in ?? 'wait',
    sticky: d.sticky ?? null,
    open: d.open ?? true,
    calendar: d.calendar ?? '',
    announce: d.announce != null,
    announceEvery: d.announce?.every ?? 30,
    announcePosition: d.announce?.position ?? true,
    announceWait: d.announce?.wait ?? true,
    keep: { relax: d.relax ?? [], acceleration: d.acceleration ?? null },
  }),
  toBody: (m: QueueModel) => ({
    name: m.name.trim(),
    channel: m.channel,
    skills: m.skills.filter((s) => s.skill),
    relax: m.keep.relax,
    strategy: m.strategy,
    priority: m.priority,
    acceleration: m.keep.acceleration,
    service_level: Math.round(m.slPercent * 10) / 1000,
    service_time: m.serviceTime,
    wrap_up: m.wrapUp,
    ring_timeout: m.ringTimeout,
    max_wait: m.maxWait,
    max_size: m.maxSize,
    overflow: m.overflowTo ? { to: m.overflowTo, queue: m.overflowTo === 'queue' ? m.overflowQueue : null } : null,
    nobody_logged_in: m.nobodyLoggedIn,
    sticky: m.sticky,
    open: m.open,
    calendar: m.calendar || null,
    announce: m.announce ? { every: m.announceEvery, position: m.announcePosition, wait: m.announceWait } : null,
  }),
}

export interface TeamModel { name: string; leader: number | null; members: number[] }

export const teams = {
  blank: (): TeamModel => ({ name: '', leader: null, members: [] }),
  fromDoc: (d: Data): TeamModel => ({ name: d.name ?? '', leader: d.leader ?? null, members: [...(d.members ?? [])] }),
  toBody: (m: TeamModel) => ({ name: m.name.trim(), leader: m.leader, members: m.members }),
}

export interface CalendarModel {
  name: string
  timeZone: string
  cnStatutory: boolean
  /** Monday first; each day's hours as one line: `08:00-12:00, 13:00-17:30`. */
  weekly: string[]
  holidays: string[]
  workdays: string[]
  special: { date: string; hours: string }[]
}

const spans = (line: string) => line.split(/[,，;；\s]+/).map((x) => x.trim()).filter(Boolean)

export const calendars = {
  blank: (): CalendarModel => ({
    name: '', timeZone: 'Asia/Shanghai', cnStatutory: true,
    weekly: ['08:00-20:00', '08:00-20:00', '08:00-20:00', '08:00-20:00', '08:00-20:00', '09:00-17:00', ''],
    holidays: [], workdays: [], special: [],
  }),
  fromDoc: (d: Data): CalendarModel => ({
    name: d.name ?? '',
    timeZone: d.time_zone ?? 'Asia/Shanghai',
    cnStatutory: d.cn_statutory ?? false,
    weekly: Array.from({ length: 7 }, (_, i) => ((d.weekly ?? [])[i] ?? []).join(', ')),
    holidays: [...(d.holidays ?? [])],
    workdays: [...(d.workdays ?? [])],
    special: (d.special ?? []).map((s: Data) => ({ date: s.date, hours: (s.hours ?? []).join(', ') })),
  }),
  toBody: (m: CalendarModel) => ({
    name: m.name.trim(),
    time_zone: m.timeZone,
    cn_statutory: m.cnStatutory,
    weekly: m.weekly.map(spans),
    holidays: [...m.holidays].sort(),
    workdays: [...m.workdays].sort(),
    special: [...m.special].sort((a, b) => a.date.localeCompare(b.date)).map((s) => ({ date: s.date, hours: spans(s.hours) })),
  }),
}

/** What a day is on a calendar: the rules the server applies, in its order. */
export type DayKind = 'special' | 'workday' | 'holiday' | 'statutoryWorkday' | 'statutoryHoliday' | 'weekday' | 'weekend'

export function dayOf(
  m: CalendarModel,
  date: string,
  statutory: { holidays: Set<string>; workdays: Set<string> },
): { kind: DayKind; hours: string } {
  const special = m.special.find((s) => s.date === date)
  if (special) return { kind: 'special', hours: special.hours }
  if (m.workdays.includes(date)) return { kind: 'workday', hours: m.weekly[0] }
  if (m.cnStatutory && statutory.workdays.has(date)) return { kind: 'statutoryWorkday', hours: m.weekly[0] }
  if (m.holidays.includes(date)) return { kind: 'holiday', hours: '' }
  if (m.cnStatutory && statutory.holidays.has(date)) return { kind: 'statutoryHoliday', hours: '' }
  const [y, mo, d] = date.split('-').map(Number)
  const weekday = (new Date(Date.UTC(y, mo - 1, d)).getUTCDay() + 6) % 7
  return { kind: weekday >= 5 ? 'weekend' : 'weekday', hours: m.weekly[weekday] }
}

/** A day clicked in the month view: plain → closed → open → plain. */
export function toggleDay(m: CalendarModel, date: string, statutory: { holidays: Set<string>; workdays: Set<string> }): void {
  const drop = (list: string[]) => {
    const i = list.indexOf(date)
    if (i >= 0) list.splice(i, 1)
  }
  const si = m.special.findIndex((s) => s.date === date)
  if (si >= 0) {
    m.special.splice(si, 1)
    return
  }
  if (m.holidays.includes(date)) {
    drop(m.holidays)
    m.workdays.push(date)
    return
  }
  if (m.workdays.includes(date)) {
    drop(m.workdays)
    return
  }
  const now = dayOf(m, date, statutory)
  // A day open by the rules is closed first; a closed one opened. A statutory make-up
  // workday outranks the closed days, so only a special day (with no hours) closes it.
  if (!now.hours) m.workdays.push(date)
  else if (now.kind === 'statutoryWorkday') m.special.push({ date, hours: '' })
  else m.holidays.push(date)
}

// ----- work orders -----------------------------------------------------------------------------

export interface LimitModel { unit: 'working_minutes' | 'working_days' | 'wall_minutes'; value: number }
export interface PolicyModel {
  segment: string | null
  calendar: string | null
  accept: LimitModel | null
  first_action: LimitModel | null
  resolve: LimitModel | null
  warn_percent: number
  /** The second escalation (to the managers) at this share of a limit; 0 for none. */
  escalate_percent: number
}
export interface FieldModel { key: string; label_zh: string; label_en: string; kind: string; required: boolean; options: string }
export interface OrderTypeModel {
  name_zh: string
  name_en: string
  callback_required: boolean
  /** The category tree, a line each: `code | 中文名 | English name`, children indented by two spaces. */
  categories: string
  fields: FieldModel[]
  policies: PolicyModel[]
}

interface CategoryDoc { code: string; name_zh: string; name_en: string; children?: CategoryDoc[] }

export function categoriesToText(cats: CategoryDoc[] | undefined, depth = 0): string {
  return (cats ?? [])
    .map((c) => `${'  '.repeat(depth)}${c.code} | ${c.name_zh} | ${c.name_en}` + (c.children?.length ? '\n' + categoriesToText(c.children, depth + 1) : ''))
    .join('\n')
}

/** The tree back from its lines; a line without names keeps its code as both names. */
export function textToCategories(text: string): CategoryDoc[] {
  const root: CategoryDoc[] = []
  const stack: { depth: number; children: CategoryDoc[] }[] = [{ depth: -1, children: root }]
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue
    const depth = Math.floor((raw.length - raw.trimStart().length) / 2)
    const [code, zh, en] = raw.trim().split('|').map((x) => x.trim())
    const node: CategoryDoc = { code: code ?? '', name_zh: zh || code || '', name_en: en || zh || code || '' }
    while (stack.length > 1 && stack[stack.length - 1].depth >= depth) stack.pop()
    const parent = stack[stack.length - 1]
    parent.children.push(node)
    stack.push({ depth, children: (node.children = []) })
  }
  const prune = (cs: CategoryDoc[]) => cs.forEach((c) => (c.children?.length ? prune(c.children) : delete c.children))
  prune(root)
  return root
}

const limitOf = (l: Data | null | undefined): LimitModel | null => (l ? { unit: l.unit, value: l.value } : null)

export const orderTypes = {
  blank: (): OrderTypeModel => ({
    name_zh: '', name_en: '', callback_required: true, categories: '', fields: [],
    policies: [{ segment: null, calendar: null, accept: null, first_action: null, resolve: { unit: 'working_days', value: 3 }, warn_percent: 80, escalate_percent: 150 }],
  }),
  fromDoc: (d: Data): OrderTypeModel => ({
    name_zh: d.name_zh ?? '',
    name_en: d.name_en ?? '',
    callback_required: !!d.callback_required,
    categories: categoriesToText(d.categories),
    fields: (d.fields ?? []).map((f: Data) => ({
      key: f.key, label_zh: f.label_zh, label_en: f.label_en, kind: f.kind, required: !!f.required, options: (f.options ?? []).join('\n'),
    })),
    policies: (d.policies ?? []).map((p: Data) => ({
      segment: p.segment ?? null, calendar: p.calendar ?? null, accept: limitOf(p.accept), first_action: limitOf(p.first_action),
      resolve: limitOf(p.resolve), warn_percent: p.warn_percent ?? 0, escalate_percent: p.escalate_percent ?? 150,
    })),
  }),
  toBody: (m: OrderTypeModel) => ({
    name_zh: m.name_zh.trim(),
    name_en: m.name_en.trim(),
    callback_required: m.callback_required,
    categories: textToCategories(m.categories),
    fields: m.fields.map((f) => {
      const options = f.options.split('\n').map((x) => x.trim()).filter(Boolean)
      return { key: f.key.trim(), label_zh: f.label_zh.trim(), label_en: f.label_en.trim(), kind: f.kind, required: f.required, ...(options.length ? { options } : {}) }
    }),
    policies: m.policies.map((p) => ({
      segment: p.segment || null, calendar: p.calendar || null, accept: p.accept, first_action: p.first_action, resolve: p.resolve, warn_percent: p.warn_percent,
      escalate_percent: p.escalate_percent,
    })),
  }),
}

export interface MatchModel { order_type: string; category: string; region: string; segment: string }
export interface GroupModel { name: string; kind: string; members: number[]; lead: number | null; handles: MatchModel[] }

export const handlingGroups = {
  blank: (): GroupModel => ({ name: '', kind: 'back_office', members: [], lead: null, handles: [] }),
  fromDoc: (d: Data): GroupModel => ({
    name: d.name ?? '',
    kind: d.kind ?? 'back_office',
    members: [...(d.members ?? [])],
    lead: d.lead ?? null,
    handles: (d.handles ?? []).map((h: Data) => ({ order_type: h.order_type ?? '', category: h.category ?? '', region: h.region ?? '', segment: h.segment ?? '' })),
  }),
  toBody: (m: GroupModel) => ({
    name: m.name.trim(),
    kind: m.kind,
    members: m.members,
    lead: m.lead,
    handles: m.handles.map((h) => ({
      order_type: h.order_type || null, category: h.category.trim() || null, region: h.region.trim().replace(/\s*\/\s*/g, '/') || null, segment: h.segment || null,
    })),
  }),
}
