import { describe, expect, it } from 'vitest'
import { baseCompile } from '@intlify/message-compiler'
import { messages } from './i18n'

/** Every text as `[key, text]`. */
function leaves(o: unknown, at = ''): [string, string][] {
  if (typeof o === 'string') return [[at, o]]
  if (o && typeof o === 'object') return Object.entries(o).flatMap(([k, v]) => leaves(v, at ? `${at}.${k}` : k))
  return []
}

describe('the texts', () => {
  it('all compile as vue-i18n messages (a stray { or | breaks the page that shows it)', () => {
    const broken: string[] = []
    for (const [locale, m] of Object.entries(messages)) {
      for (const [key, text] of leaves(m)) {
        baseCompile(text, { onError: (e) => broken.push(`${locale} ${key}: ${e.message}`) })
      }
    }
    expect(broken).toEqual([])
  })

  it('say the same things in Chinese and English', () => {
    const keys = (m: unknown) => leaves(m).map(([k]) => k).sort()
    expect(keys(messages.en)).toEqual(keys(messages['zh-CN']))
  })
})
