// What an API error means, in the user's language: a sentence per stable error code, the
// field it concerns by the label the form shows, and the server's reason translated where
// it is one of the common rules. The server's English text is shown only in English.

import { ApiError } from './api'

type Translate = (key: string, args?: Record<string, unknown>) => string
type Exists = (key: string) => boolean

/** The server's reasons that have a sentence of their own: pattern → message key. */
const REASONS: [RegExp, string][] = [
  [/^must not be empty$|^required$|is required/i, 'required'],
  [/^a time of day like/i, 'time'],
  [/^1 \(Monday\) to 7/, 'weekday'],
  [/^1 to 28$/, 'dayOfMonth'],
  [/^on or after from$/, 'notBefore'],
  [/^at most (\d+) saved reports/i, 'maxSaved'],
  [/^at most ([\d,]+) characters/i, 'maxChars'],
  [/^(\d+)[–-](\d+) characters/i, 'rangeChars'],
  [/^already used by user (\S+)/i, 'usedBy'],
  [/^already the name of `?([^`]+)`?/i, 'nameTaken'],
  [/already exists/i, 'exists'],
  [/^unknown segment/i, 'unknownChoice'],
  [/^1 to 5( when reached)?$/, 'level'],
  [/no (queue|skill|calendar|user|team)\b|no such|no active user/i, 'unknownRef'],
  [/^not (a category|a field) of this order type|^one of /i, 'unknownChoice'],
  [/^a number$/, 'number'],
  [/^a date like/, 'date'],
  [/^say why/, 'required'],
  [/not a (valid )?(phone )?number|no phone number/i, 'phone'],
  [/e-?mail/i, 'email'],
  [/letters, digits/i, 'keyChars'],
  [/used twice|duplicate/i, 'duplicate'],
  [/still (used|referred|in use)|refers to it|is used by/i, 'inUse'],
]

/** `phones[1].number` → ["phones", 1, "number"]: the field's label, with the item's place. */
export function fieldLabel(path: string, t: Translate, te: Exists): string {
  const parts = path.split('.').filter(Boolean)
  const out: string[] = []
  for (const p of parts) {
    const m = p.match(/^([A-Za-z_]+)(?:\[(\d+)\])?$/)
    if (!m) {
      out.push(p)
      continue
    }
    const [, name, index] = m
    const label = te('field.' + name) ? t('field.' + name) : name
    out.push(index == null ? label : t('error.item', { label, n: Number(index) + 1 }))
  }
  return out.join(' · ')
}

/** The reason for a bad field, in the user's language. */
export function reasonText(reason: string, t: Translate, english: boolean): string {
  if (english) return reason
  for (const [re, key] of REASONS) {
    const m = reason.match(re)
    if (m) return t('error.reason.' + key, { a: m[1] ?? '', b: m[2] ?? '' })
  }
  return t('error.reason.other')
}

/** One sentence for the error: what went wrong and, where the server named it, which field. */
export function explain(e: unknown, t: Translate, te: Exists, locale: string): string {
  if (!(e instanceof ApiError)) return t('error.code.internal')
  const english = locale === 'en'
  if (e.details?.reason === 'in_use') {
    const kind = String(e.details.by_kind ?? '')
    return t('error.inUse', { kind: te('kind.' + kind) ? t('kind.' + kind) : kind, key: String(e.details.by_key ?? '') })
  }
  if (e.code === 'invalid_input' && e.field) {
    const reason = (e.details?.reason as string | undefined) ?? e.message
    return t('error.field', { field: fieldLabel(e.field, t, te), msg: reasonText(reason, t, english) })
  }
  const key = 'error.code.' + e.code
  if (te(key)) {
    const base = t(key)
    return e.field ? t('error.field', { field: fieldLabel(e.field, t, te), msg: base }) : base
  }
  return english ? e.message : t('error.code.internal')
}

/** The error for a field or a field under it (`phones` for `phones[1].number`), or ''. */
export function fieldError(e: unknown, prefix: string, t: Translate, te: Exists, locale: string): string {
  if (!(e instanceof ApiError) || !e.field) return ''
  if (e.field !== prefix && !e.field.startsWith(prefix + '[') && !e.field.startsWith(prefix + '.')) return ''
  const reason = (e.details?.reason as string | undefined) ?? e.message
  return t('error.field', { field: fieldLabel(e.field, t, te), msg: reasonText(reason, t, locale === 'en') })
}

/** The error when no field of `fields` shows it, or ''. */
export function generalError(e: unknown, fields: string[], t: Translate, te: Exists, locale: string): string {
  if (!e) return ''
  if (e instanceof ApiError && e.field && fields.some((f) => fieldError(e, f, t, te, locale))) return ''
  return explain(e, t, te, locale)
}
