// A customer as the form edits it, and the API's body from it.

import type { Customer } from './types'

export interface CustomerModel {
  name: string
  phones: { number: string; label: string }[]
  addresses: { province: string; city: string; district: string; line: string; label: string }[]
  segment: string
  level: number
  qualification: string
  id_number: string
  blacklisted: boolean
  blacklist_reason: string
  notes: string
}

export function emptyCustomer(): CustomerModel {
  return {
    name: '', phones: [{ number: '', label: 'mobile' }], addresses: [], segment: 'general', level: 1,
    qualification: '', id_number: '', blacklisted: false, blacklist_reason: '', notes: '',
  }
}

/** The body the API takes: empty rows and fields left out. */
export function toInput(m: CustomerModel, emailLine: string): Record<string, unknown> {
  return {
    name: m.name.trim(),
    phones: m.phones.filter((p) => p.number.trim()).map((p) => ({ number: p.number.trim(), label: p.label })),
    emails: emailLine.split(/[,，;；\s]+/).map((x) => x.trim()).filter(Boolean),
    addresses: m.addresses.filter((a) => a.province || a.city || a.district || a.line),
    segment: m.segment,
    level: m.level || 1,
    qualification: m.qualification.trim() || null,
    id_number: m.id_number.trim() || null,
    blacklisted: m.blacklisted,
    blacklist_reason: m.blacklisted ? m.blacklist_reason.trim() : '',
    notes: m.notes,
  }
}

/** The form's model of a stored customer, and its e-mails as one line. */
export function fromCustomer(c: Customer): [CustomerModel, string] {
  return [
    {
      name: c.name,
      phones: c.phones.map((p) => ({ number: p.number, label: p.label || 'mobile' })),
      addresses: c.addresses.map((a) => ({
        province: a.province ?? '', city: a.city ?? '', district: a.district ?? '', line: a.line ?? '', label: a.label || 'home',
      })),
      segment: c.segment,
      level: c.level,
      qualification: c.qualification ?? '',
      id_number: c.id_number ?? '',
      blacklisted: c.blacklisted,
      blacklist_reason: c.blacklist_reason ?? '',
      notes: c.notes ?? '',
    },
    c.emails.join(', '),
  ]
}
