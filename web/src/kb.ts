// The knowledge base's pure parts: an article's form to and from the API, where a status may
// go, and a readable line-by-line diff of two versions.
import type { components } from './api.gen'

type Schemas = components['schemas']
export type Article = Schemas['ArticleBody']
export type ArticleVersion = Schemas['VersionBody']
export type SearchHit = Schemas['SearchHit']
export type Miss = Schemas['MissBody']
export type Suggestion = Schemas['SuggestionBody']
export type Task = Schemas['TaskBody']
export type KbSettings = Schemas['KbSettingsView']
export type ImportReport = Schemas['ImportBody']

/** Synonym groups as a textarea shows them: a group a line, words apart by spaces or commas. */
export function synonymsText(groups: string[][]): string {
  return groups.map((g) => g.join(' ')).join('\n')
}

export function synonymsOf(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.split(/[\s,，、;；]+/).map((w) => w.trim()).filter((w) => w.length > 0))
    .filter((g) => g.length > 0)
}

export const STATUSES = ['draft', 'review', 'published', 'archived'] as const
export type Status = (typeof STATUSES)[number]

/** An article as its form edits it: lists as one item a line. */
export interface ArticleForm {
  title: string
  category: string
  body: string
  tags: string
  questions: string
  products: string
  segments: string
  public: boolean
  valid_from: string
  valid_to: string
}

export function emptyForm(): ArticleForm {
  return { title: '', category: '', body: '', tags: '', questions: '', products: '', segments: '', public: false, valid_from: '', valid_to: '' }
}

export function formOf(a: Article): ArticleForm {
  return {
    title: a.title, category: a.category, body: a.body, tags: a.tags.join('\n'), questions: a.questions.join('\n'),
    products: a.products.join('\n'), segments: a.segments.join('\n'),
    public: a.public, valid_from: a.valid_from ?? '', valid_to: a.valid_to ?? '',
  }
}

/** One item a line (or separated by commas, for tags). */
const items = (s: string, commas: boolean) =>
  s.split(commas ? /[\n,，、]/ : /\n/).map((x) => x.trim()).filter((x) => x.length > 0)

/** What the API takes: the form, the status it goes to, and the version it was made on. */
export function inputOf(f: ArticleForm, status: Status, version: number | null) {
  return {
    title: f.title, category: f.category, body: f.body, tags: items(f.tags, true), questions: items(f.questions, false),
    products: items(f.products, true), segments: items(f.segments, true),
    public: f.public, valid_from: f.valid_from || null, valid_to: f.valid_to || null, status, ...(version != null ? { version } : {}),
  }
}

/** Where an article may go from `from` (as the server rules it): writers send for review and
 * back; publishers publish, archive and bring back. `null`: a new article. */
export function nextStatuses(from: Status | null, publisher: boolean): Status[] {
  const all: Status[] = []
  const may = (to: Status): boolean => {
    const f = from ?? 'draft'
    if (f === to) return f !== 'archived' && (f !== 'published' || publisher)
    if ((f === 'draft' && to === 'review') || (f === 'review' && to === 'draft')) return true
    if ((f === 'draft' || f === 'review') && to === 'published') return publisher
    if ((f === 'published' && (to === 'archived' || to === 'draft')) || (f === 'archived' && to === 'draft')) return publisher
    return false
  }
  for (const s of STATUSES) if (may(s)) all.push(s)
  return all
}

export type DiffLine = { op: ' ' | '-' | '+'; text: string }

/** Lines of `before` and `after`, each kept, taken out or put in (longest common
 * subsequence; texts of a few hundred lines). */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n')
  const b = after.split('\n')
  const n = a.length
  const m = b.length
  // lcs[i][j]: the longest common run of a[i..] and b[j..].
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
  }
  const out: DiffLine[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i] })
      i++
      j++
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push({ op: '-', text: a[i++] })
    } else {
      out.push({ op: '+', text: b[j++] })
    }
  }
  while (i < n) out.push({ op: '-', text: a[i++] })
  while (j < m) out.push({ op: '+', text: b[j++] })
  return out
}

/** A version as text to compare: its title, category and body. */
export function versionText(v: { title: string; category: string; body: string; tags?: string[]; questions?: string[] }): string {
  return [`# ${v.title}`, `[${v.category}]`, ...(v.tags?.length ? [`#${v.tags.join(' #')}`] : []), '', v.body, ...(v.questions?.length ? ['', ...v.questions.map((q) => `? ${q}`)] : [])].join('\n')
}
