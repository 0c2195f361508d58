// The tenant's people for the administration forms' pickers (team members, a group's lead):
// every active user for those who manage users, else who takes calls, from the directory.

import { get } from '../../api'

export interface Person { id: number; name: string; role: string }

export async function loadPeople(manageUsers: boolean): Promise<Person[]> {
  if (manageUsers) {
    const users = await get<{ id: number; username: string; display_name: string; role: string; active: boolean }[]>('/api/users')
    return users.filter((u) => u.active).map((u) => ({ id: u.id, name: `${u.display_name}（${u.username}）`, role: u.role }))
  }
  const dir = await get<{ people: { user_id: number; display_name: string; role: string }[] }>('/api/directory')
  return dir.people.map((p) => ({ id: p.user_id, name: p.display_name, role: p.role }))
}
