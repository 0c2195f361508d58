// Files attached to work orders in the browser: what the server takes (checked before
// sending, so a 20 MB photo is refused at once and not after a long upload), the name a
// phone's camera file is sent under, sizes and links for the page, and sending several
// files one after the other.

import { ApiError, upload } from './api'
import type { components } from './api.gen'
import { explain } from './errors'
import type { Order } from './orders'

export type Attachment = components['schemas']['AttachmentDto']

/** The largest file the server takes (10 MB), and how many an order keeps. */
export const MAX_BYTES = 10 * 1024 * 1024
export const MAX_PER_ORDER = 30
/** For `<input type=file accept>`: the kinds the server takes. */
export const ACCEPT = '.jpg,.jpeg,.png,.webp,.pdf,.wav,.docx,.xlsx'

const EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'pdf', 'wav', 'docx', 'xlsx']
/** A file's media type → the extension to name it by when its name has none that fits. */
const BY_TYPE: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
}

/** Why a file was not sent or not taken: a check of ours, or the server's error. */
export type Refusal = 'tooBig' | 'kind' | 'tooMany'

const extension = (name: string) => (name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '')

/**
 * The name to send a file under: as chosen, or — a camera's `image` or `IMG_0001.HEIC`
 * turned into a JPEG by the phone — with the extension its media type says (the server
 * wants the two to agree).
 */
export function uploadName(f: { name: string; type: string }): string {
  const name = f.name.trim() || 'file'
  const ext = extension(name)
  const wanted = BY_TYPE[f.type]
  if (EXTENSIONS.includes(ext) || !wanted) return name
  const base = ext ? name.slice(0, name.lastIndexOf('.')) : name
  return `${base || 'file'}.${wanted}`
}

/** Why a file will not be taken, known before sending it; null if it may be sent. */
export function refusal(f: { name: string; type: string; size: number }): Refusal | null {
  if (f.size > MAX_BYTES) return 'tooBig'
  if (f.size === 0 || !EXTENSIONS.includes(extension(uploadName(f)))) return 'kind'
  return null
}

export const isImage = (a: Attachment) => a.content_type.startsWith('image/')
export const isAudio = (a: Attachment) => a.content_type.startsWith('audio/')

/** Where the file is served (the session cookie goes with `<img src>` and `<a href>`). */
export const fileUrl = (orderId: number, a: Attachment) => `/api/orders/${orderId}/attachments/${encodeURIComponent(a.id)}`

/** 850 KB, 2.4 MB, 10 MB. */
export function sizeText(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`
}

type Translate = (key: string, args?: Record<string, unknown>) => string

/** What went wrong with a file, in the user's words: our checks and the server's reasons. */
export function attachError(e: unknown, t: Translate, te: (key: string) => boolean, locale: string): string {
  const max = sizeText(MAX_BYTES)
  if (e === 'tooBig') return t('attachments.tooBig', { max })
  if (e === 'kind') return t('attachments.kind')
  if (e === 'tooMany') return t('attachments.tooMany', { n: MAX_PER_ORDER })
  if (e instanceof ApiError) {
    const reason = String(e.details?.reason ?? e.message)
    if (e.code === 'payload_too_large') return t('attachments.tooBig', { max })
    if (e.code === 'invalid_state') return t('attachments.closed')
    if (e.field === 'file') {
      if (/\bMB\b/.test(reason)) return t('attachments.tooBig', { max })
      if (/files an order/.test(reason)) return t('attachments.tooMany', { n: MAX_PER_ORDER })
      if (/extension/.test(reason)) return t('attachments.mismatch')
      return t('attachments.kind')
    }
  }
  return explain(e, t, te, locale)
}

export interface Sent {
  /** The order as it is after the last file taken, or null if none was. */
  order: Order | null
  /** The files not taken, each with why. */
  failed: { name: string; error: unknown }[]
}

/**
 * Sends files to an order one after the other (a phone on a poor network sends one photo
 * at a time), saying how many are done. A file the server refuses for itself (too big, not
 * a kind it takes) does not stop the others; anything else (the order closed, the session
 * gone, the network down) stops there.
 */
export async function attachAll(
  order: Pick<Order, 'id' | 'attachments'>,
  files: File[],
  progress: (done: number, total: number) => void = () => {},
): Promise<Sent> {
  const out: Sent = { order: null, failed: [] }
  let count = order.attachments.length
  progress(0, files.length)
  for (const [i, f] of files.entries()) {
    const name = uploadName(f)
    const why = refusal(f) ?? (count >= MAX_PER_ORDER ? 'tooMany' : null)
    if (why) {
      out.failed.push({ name, error: why })
    } else {
      try {
        out.order = await upload<Order>(`/api/orders/${order.id}/attachments?name=${encodeURIComponent(name)}`, f)
        count = out.order.attachments.length
      } catch (e) {
        out.failed.push({ name, error: e })
        const aboutTheFile = e instanceof ApiError && (e.code === 'payload_too_large' || (e.code === 'invalid_input' && (e.field === 'file' || e.field === 'name')))
        if (!aboutTheFile) {
          // Those not tried fail for the same reason.
          for (const rest of files.slice(i + 1)) out.failed.push({ name: uploadName(rest), error: e })
          progress(files.length, files.length)
          return out
        }
      }
    }
    progress(i + 1, files.length)
  }
  return out
}

/** The files not taken, grouped by why: `a.jpg、b.jpg：超过 10 MB…`, a line a reason. */
export function failureLines(failed: Sent['failed'], t: Translate, te: (key: string) => boolean, locale: string): string[] {
  const byReason = new Map<string, string[]>()
  for (const f of failed) {
    const why = attachError(f.error, t, te, locale)
    byReason.set(why, [...(byReason.get(why) ?? []), f.name])
  }
  return [...byReason].map(([why, names]) => t('attachments.failed', { names: names.join(locale === 'en' ? ', ' : '、'), msg: why }))
}
